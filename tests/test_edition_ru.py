"""The Russian edition (``notebooks/ru/``) is in step with the English notebooks.

It is built by ``bash scripts/edition.sh`` from each English notebook and
``translations/ru/<stem>.json``; these tests fail when an English markdown cell changed after its
translation was made (a stored hash per cell), when a translation is missing, when a code cell or
an output differs between the editions, or when the stored edition was not rebuilt.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from course_utils.paths import lesson_notebooks

ROOT = Path(__file__).resolve().parents[1]
LESSONS = lesson_notebooks(ROOT / "notebooks")


def builder():
    spec = importlib.util.spec_from_file_location(
        "build_edition", ROOT / "scripts/build_edition.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell["source"])


@pytest.mark.parametrize("english", LESSONS, ids=lambda p: p.stem)
def test_the_stored_edition_is_built_from_todays_english_notebook(english):
    edition = builder()
    translated = edition.build_notebook(
        load(english), edition.load_translation("ru", english.stem), "ru", english.stem
    )
    stored = ROOT / "notebooks" / "ru" / english.name
    assert stored.is_file(), (
        f"no Russian notebook {stored.relative_to(ROOT)}: run bash scripts/edition.sh"
    )
    assert stored.read_text(encoding="utf-8") == edition.notebook_text(translated), (
        f"{stored.relative_to(ROOT)} is out of date: run bash scripts/edition.sh"
    )


@pytest.mark.parametrize("english", LESSONS, ids=lambda p: p.stem)
def test_code_and_outputs_equal_the_english_ones(english):
    en, ru = load(english), load(ROOT / "notebooks" / "ru" / english.name)
    assert [c["cell_type"] for c in en["cells"]] == [c["cell_type"] for c in ru["cells"]]
    for a, b in zip(en["cells"], ru["cells"], strict=True):
        assert a["id"] == b["id"]
        if a["cell_type"] != "code":
            continue
        assert source(a) == source(b), f"code cell {a['id']} differs"
        assert len(a["outputs"]) == len(b["outputs"])
        for out_a, out_b in zip(a["outputs"], b["outputs"], strict=True):
            if "text/markdown" in out_a.get("data", {}):  # a result sentence rendered in Russian
                out_a = {
                    **out_a,
                    "data": {k: v for k, v in out_a["data"].items() if k != "text/markdown"},
                }
                out_b = {
                    **out_b,
                    "data": {k: v for k, v in out_b["data"].items() if k != "text/markdown"},
                }
            assert out_a == out_b, f"an output of code cell {a['id']} differs"


def letters(text: str) -> tuple[int, int]:
    text = re.sub(
        r"`[^`]*`|\$[^$]*\$|\([^)]*\.(ipynb|py|md|jsonl)\)", "", text
    )  # code, formulas, links
    return len(re.findall(r"[А-Яа-яЁё]", text)), len(re.findall(r"[A-Za-z]", text))


@pytest.mark.parametrize("english", LESSONS, ids=lambda p: p.stem)
def test_the_markdown_is_russian(english):
    ru = load(ROOT / "notebooks" / "ru" / english.name)
    cells = [source(c) for c in ru["cells"] if c["cell_type"] == "markdown"]
    russian = [cyr > lat for cyr, lat in map(letters, cells)]
    assert sum(russian) >= 0.9 * len(cells), (
        f"{sum(russian)} of {len(cells)} markdown cells are mostly Cyrillic; not Russian: "
        + " | ".join(c[:60] for c, ok in zip(cells, russian, strict=True) if not ok)
    )
    rendered = [
        "".join(out["data"]["text/markdown"])
        for c in ru["cells"]
        if c["cell_type"] == "code"
        for out in c["outputs"]
        if "text/markdown" in out.get("data", {})
    ]
    for text in rendered:
        cyr, lat = letters(text)
        assert cyr > 0, f"a rendered result is not translated: {text[:80]}"


def test_a_changed_english_cell_or_a_missing_translation_is_an_error():
    edition = builder()
    english = {
        "cells": [
            {"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# Title"]},
            {
                "cell_type": "code",
                "id": "b",
                "metadata": {},
                "source": ["display(Markdown(text))"],
                "outputs": [
                    {
                        "output_type": "display_data",
                        "metadata": {},
                        "data": {
                            "text/markdown": ["Accuracy 0.91: holds"],
                            "text/plain": ["<Markdown>"],
                        },
                    }
                ],
            },
        ],
        "metadata": {},
    }
    translation = {
        "cells": {"a": {"en_sha": edition.cell_sha("# Title"), "ru": "# Заголовок"}},
        "outputs": {
            "b": {
                "en": "Accuracy {}: {}",
                "ru": "Точность {0}: {1}",
                "words": {"holds": "выполняется"},
            }
        },
    }
    built = edition.build_notebook(english, translation, "ru", "x")
    assert source(built["cells"][0]) == "# Заголовок"
    assert (
        "".join(built["cells"][1]["outputs"][0]["data"]["text/markdown"])
        == "Точность 0.91: выполняется"
    )
    changed = json.loads(json.dumps(english))
    changed["cells"][0]["source"] = ["# New title"]
    with pytest.raises(edition.EditionError, match="cell a: the English text changed"):
        edition.build_notebook(changed, translation, "ru", "x")
    reworded = json.loads(json.dumps(english))
    reworded["cells"][1]["outputs"][0]["data"]["text/markdown"] = ["Test accuracy 0.91: holds"]
    with pytest.raises(edition.EditionError, match="cell b: the output no longer fits"):
        edition.build_notebook(reworded, translation, "ru", "x")
    with pytest.raises(edition.EditionError, match="cell a: no translation"):
        edition.build_notebook(english, {"cells": {}, "outputs": translation["outputs"]}, "ru", "x")
    with pytest.raises(edition.EditionError, match="no translation file"):
        edition.load_translation("ru", "99_missing")


def test_the_russian_readme_lists_every_russian_notebook():
    readme = (ROOT / "README.ru.md").read_text(encoding="utf-8")
    for english in LESSONS:
        assert f"(notebooks/ru/{english.name})" in readme, english.name
    assert "README.ru.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in readme and "bash scripts/course.sh" in readme


def test_a_sentence_written_in_two_forms_takes_the_template_that_fits():
    edition = builder()
    variants = [
        {"en": "Reached in {} s.", "ru": "Достигнуто за {0} с."},
        {"en": "Not reached in {} s.", "ru": "Не достигнуто за {0} с."},
    ]
    assert edition.render_output("Reached in 12 s.", variants, "ru", "x") == "Достигнуто за 12 с."
    assert (
        edition.render_output("Not reached in 40 s.", variants, "ru", "x")
        == "Не достигнуто за 40 с."
    )
    with pytest.raises(edition.EditionError, match="no longer fits"):
        edition.render_output("Stopped after 40 s.", variants, "ru", "x")
