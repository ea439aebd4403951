"""The slide decks: one per lesson, built offline from the cells tagged ``slide``.

The decks must load nothing from the network (no ``http`` in a script or stylesheet tag), and a
real browser must show them: reveal.js started, the slides there, a figure drawn, formulas
typeset by the local MathJax. The browser test needs Chromium from the system's packages
(``apt-get install chromium``) and is skipped where none is installed.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from course_utils.paths import lesson_id, lesson_notebooks

ROOT = Path(__file__).resolve().parents[1]
LESSONS = lesson_notebooks(ROOT / "notebooks")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def builder():
    spec = importlib.util.spec_from_file_location("build_slides", ROOT / "scripts/build_slides.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def slide_cells(path: Path) -> list[int]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [i for i, c in enumerate(cells) if "slide" in c["metadata"].get("tags", [])]


@pytest.mark.parametrize("path", LESSONS, ids=lesson_id)
def test_every_lesson_has_a_deck_that_opens_with_its_title(path):
    slides = slide_cells(path)
    assert slides[:1] == [0], f"{path.name}: the title cell is not the first slide"
    assert len(slides) >= 4, f"{path.name}: only {len(slides)} cells tagged 'slide'"


@pytest.fixture(scope="module")
def decks(tmp_path_factory) -> dict[str, Path]:
    build = builder()
    if not build.vendor_ready() and shutil.which("npm") is None:
        pytest.skip(
            "reveal.js and MathJax are not in .cache/slides-vendor and npm is not installed"
        )
    out = tmp_path_factory.mktemp("slides")
    return {lesson_id(path): path for path in build.build([], out)}


def test_decks_load_nothing_from_the_network(decks):
    build = builder()
    assert len(decks) == len(LESSONS)
    for path in decks.values():
        page = path.read_text(encoding="utf-8")
        assert build.remote_links(page) == [], path.name
        tags = re.findall(r"<(?:script|link)\b[^>]*>", page)
        assert not [t for t in tags if "http" in t], path.name


def _browser() -> str | None:
    return next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)


def test_a_deck_renders_in_a_real_browser(decks):
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium installed (Debian: apt-get install -y chromium)")
    folder = next(iter(decks.values())).parent
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.log_message = lambda *args: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{decks['02'].name}"
        dom = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,800",
             "--virtual-time-budget=20000", "--dump-dom", url],
            capture_output=True, text=True, timeout=120, check=True,
        ).stdout  # fmt: skip
    finally:
        server.shutdown()
    assert re.search(r'class="reveal[^"]*\bready\b', dom), "reveal.js did not start"
    slides = re.findall(r'<section[^>]*class="[^"]*\b(?:present|past|future)\b', dom)
    assert len(slides) >= len(slide_cells(LESSONS[1])), len(slides)
    assert "<img" in dom, "no figure in the deck"
    assert "MathJax_CHTML" in dom or "mjx-chtml" in dom, "formulas were not typeset"
