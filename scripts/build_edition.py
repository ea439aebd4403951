"""Build a translated edition of the lesson notebooks from the English ones and a translation
file per notebook; nothing is executed.

Usage (through ``bash scripts/edition.sh``)::

    python scripts/build_edition.py ru            # notebooks/*.ipynb -> notebooks/ru/*.ipynb
    python scripts/build_edition.py ru --check    # exit 1 if a stored edition is out of date

``translations/<lang>/<stem>.json`` holds, for every markdown cell of ``notebooks/<stem>.ipynb``
(by cell id), the hash of the English source it was translated from and the translation; and
for every code cell whose output is Markdown rendered by the code from the run's numbers (a
result sentence, a closing table), an English template with ``{}`` where the text may change
and the translated template with ``{0}``, ``{1}``, ... that gets the same values (a list of
such pairs for a sentence the code writes in more than one form). Code cells,
their other outputs and the notebook's metadata are copied unchanged. A changed English cell
(its hash), a missing translation or an output that no longer fits its template is an error
that names the cell: translate it again, then rebuild.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_utils.paths import lesson_notebooks  # noqa: E402

LANGUAGES = {"ru": "Русский"}


class EditionError(ValueError):
    """A translation that does not fit today's English notebook."""


def cell_sha(source: str) -> str:
    """The 16-hex-digit hash of a cell's source, stored with its translation."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def _source(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def template_pattern(template: str) -> re.Pattern:
    """The regex of an English template: literal text, every ``{}`` a captured value."""
    parts = template.split("{}")
    return re.compile("(.+?)".join(re.escape(p) for p in parts), re.DOTALL)


def render_output(english: str, entry: dict | list[dict], lang: str, where: str) -> str:
    """The translated text of one code-rendered Markdown output.

    ``entry``: ``{"en": template with {}, lang: template with {0}, {1}, ..., "words": {English
    value: translated value}}``, or a list of such templates for a sentence the code writes in
    more than one form (the first that fits is used). Raises :class:`EditionError` when the
    English text fits none (the code's sentence changed).
    """
    for variant in entry if isinstance(entry, list) else [entry]:
        match = template_pattern(variant["en"]).fullmatch(english)
        if match is None:
            continue
        words = variant.get("words", {})
        values = [words.get(value, value) for value in match.groups()]
        try:
            return variant[lang].format(*values)
        except (IndexError, KeyError) as error:
            raise EditionError(
                f"{where}: the translated template does not fit its values ({error})"
            ) from error
    raise EditionError(
        f"{where}: the output no longer fits its English template; translate it again"
    )


def load_translation(lang: str, stem: str) -> dict:
    """``translations/<lang>/<stem>.json``; a missing file is an :class:`EditionError`."""
    path = ROOT / "translations" / lang / f"{stem}.json"
    if not path.is_file():
        raise EditionError(f"{stem}: no translation file {path.relative_to(ROOT)}")
    return json.loads(path.read_text(encoding="utf-8"))


def build_notebook(english: dict, translation: dict, lang: str, stem: str) -> dict:
    """The translated notebook: markdown cells replaced, rendered Markdown outputs re-rendered,
    everything else copied. Raises :class:`EditionError` naming the first cell that does not fit."""
    notebook = copy.deepcopy(english)
    cells, outputs = translation.get("cells", {}), translation.get("outputs", {})
    known = {cell.get("id") for cell in notebook["cells"]}
    stale = sorted(set(cells) - known) + sorted(k for k in outputs if k.split("/")[0] not in known)
    if stale:
        raise EditionError(f"{stem}: translations of cells that no longer exist: {stale}")
    for cell in notebook["cells"]:
        where = f"{stem}, cell {cell.get('id')}"
        if cell["cell_type"] == "markdown":
            entry = cells.get(cell["id"])
            if entry is None:
                raise EditionError(f"{where}: no translation")
            if entry["en_sha"] != cell_sha(_source(cell)):
                raise EditionError(f"{where}: the English text changed since it was translated")
            cell["source"] = _lines(entry[lang])
        elif cell["cell_type"] == "code":
            rendered = [
                (i, out)
                for i, out in enumerate(cell.get("outputs", []))
                if "text/markdown" in out.get("data", {})
            ]
            for i, out in rendered:
                key = cell["id"] if len(rendered) == 1 else f"{cell['id']}/{i}"
                entry = outputs.get(key) or outputs.get(f"{cell['id']}/{i}")
                if entry is None:
                    raise EditionError(f"{where}: no template for its Markdown output {i}")
                english_text = _source({"source": out["data"]["text/markdown"]})
                text = render_output(english_text, entry, lang, where)
                out["data"]["text/markdown"] = _lines(text)
    notebook["metadata"] = {**notebook["metadata"], "language_edition": lang}
    return notebook


def notebook_text(notebook: dict) -> str:
    """The stored form of a notebook (the course's JSON layout)."""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def build(lang: str, check: bool = False) -> int:
    """Build (or with ``check`` compare) every notebook of the edition; returns an exit status."""
    if lang not in LANGUAGES:
        raise SystemExit(f"unknown language {lang!r}; known: {sorted(LANGUAGES)}")
    out_dir = ROOT / "notebooks" / lang
    status = 0
    for path in lesson_notebooks(ROOT / "notebooks"):
        stem = path.stem
        try:
            english = json.loads(path.read_text(encoding="utf-8"))
            text = notebook_text(build_notebook(english, load_translation(lang, stem), lang, stem))
        except EditionError as error:
            print(f"ERROR {error}")
            status = 1
            continue
        target = out_dir / path.name
        if check:
            same = target.is_file() and target.read_text(encoding="utf-8") == text
            print(
                f"{target.relative_to(ROOT)}: {'up to date' if same else 'OUT OF DATE: rebuild it'}"
            )
            status |= 0 if same else 1
        else:
            out_dir.mkdir(exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {target.relative_to(ROOT)}")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lang", choices=sorted(LANGUAGES))
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    return build(args.lang, check=args.check)


if __name__ == "__main__":
    raise SystemExit(main())
