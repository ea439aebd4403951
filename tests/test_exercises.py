"""The coding exercises: each lesson asks for code, the checks are fair, the solutions pass.

The check of every exercise must accept the reference solution in ``solutions/`` (those
notebooks also run under nbval), reject an unsolved or wrong function with a message that says
what is wrong, and never print the expected values.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from course_utils import exercises
from course_utils.paths import lesson_id, lesson_notebooks

ROOT = Path(__file__).resolve().parents[1]
LESSONS = lesson_notebooks(ROOT / "notebooks")
CHECKED = re.compile(r'check_function\("(\d\d[a-z]?\.\w+)", (\w+)\)')
ANSWERED = re.compile(r'check_answer\("(\d\d[a-z]?\.q\d+)"')


def code_cells(path: Path) -> list[dict]:
    return [
        c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"
    ]


def solution_sources() -> dict[str, str]:
    """Exercise name -> the solution cell's source (function and check)."""
    found = {}
    for path in sorted((ROOT / "solutions").glob("*_solutions.ipynb")):
        for cell in code_cells(path):
            source = "".join(cell["source"])
            for name, _ in CHECKED.findall(source):
                found[name] = source
    return found


@pytest.mark.parametrize("path", LESSONS, ids=lesson_id)
def test_each_lesson_has_two_coding_exercises_without_solutions(path):
    tagged = [c for c in code_cells(path) if "exercise" in c["metadata"].get("tags", [])]
    coding = [c for c in tagged if "check_function" in "".join(c["source"])]
    names = [name for c in coding for name, _ in CHECKED.findall("".join(c["source"]))]
    assert len(names) >= 2, f"{path.name}: {len(names)} coding exercises, need at least 2"
    assert all(name.startswith(lesson_id(path) + ".") for name in names), names
    for cell in coding:
        source = "".join(cell["source"])
        assert "raise NotImplementedError" in source, f"{path.name}: an exercise cell is solved"


@pytest.mark.parametrize("path", LESSONS, ids=lesson_id)
def test_short_answers_are_checked_without_showing_the_answer(path):
    """Every check goes through the registry; no lesson cell holds an expected value."""
    sources = ["".join(c["source"]) for c in code_cells(path)]
    assert not any("exercises.check(" in source for source in sources), path.name
    asked = {name for source in sources for name in ANSWERED.findall(source)}
    registered = {
        name for name in exercises.SHORT_ANSWERS if name.startswith(lesson_id(path) + ".")
    }
    assert asked == registered, (sorted(asked), sorted(registered))
    for cell in code_cells(path):
        if ANSWERED.search("".join(cell["source"])):
            assert "exercise" in cell["metadata"].get("tags", []), "untagged exercise cell"


def test_every_short_answer_without_data_is_solved_in_the_solutions():
    """The questions whose answer does not depend on the lesson's data are asserted there."""
    solutions = "\n".join(
        "".join(c["source"])
        for path in sorted((ROOT / "solutions").glob("*.ipynb"))
        for c in code_cells(path)
    )
    solved = set(re.findall(r'assert exercises\.check_answer\("(\d\d[a-z]?\.q\d)"', solutions))
    for name, question in exercises.SHORT_ANSWERS.items():
        if not inspect.signature(question.expected).parameters:
            assert name in solved, f"{name} has no asserted solution"


def test_every_exercise_has_a_lesson_cell_and_a_solution():
    in_lessons = {
        name for path in LESSONS for c in code_cells(path) for name, _ in CHECKED.findall(
            "".join(c["source"]))
    }  # fmt: skip
    assert in_lessons == set(exercises.CODING_EXERCISES)
    assert set(solution_sources()) == set(exercises.CODING_EXERCISES)


@pytest.mark.parametrize("name", sorted(exercises.CODING_EXERCISES))
def test_the_reference_solution_passes(name, capsys):
    namespace = {"torch": torch, "F": F, "exercises": exercises}
    exec(solution_sources()[name], namespace)  # defines the function and asserts the check
    assert capsys.readouterr().out.startswith("Correct!")


@pytest.mark.parametrize("name", sorted(exercises.CODING_EXERCISES))
def test_an_unsolved_exercise_says_so(name, capsys):
    def unsolved(*args):
        raise NotImplementedError

    assert not exercises.check_function(name, unsolved)
    assert capsys.readouterr().out.startswith("Not solved yet")


def test_a_wrong_function_is_told_what_is_wrong_without_the_answer(capsys):
    def almost(seq_len):
        return torch.ones(seq_len, seq_len, dtype=torch.bool).triu()  # the future, not the past

    assert not exercises.check_function("02.causal_mask", almost)
    out = capsys.readouterr().out
    assert "wrong entries" in out and "case" in out

    def off_by_a_bit(reward_chosen, reward_rejected):
        return -F.logsigmoid(reward_chosen - reward_rejected).mean() + 0.25

    assert not exercises.check_function("09.bradley_terry_loss", off_by_a_bit)
    out = capsys.readouterr().out
    expected = exercises.CODING_EXERCISES["09.bradley_terry_loss"].reference(
        torch.tensor([1.5]), torch.tensor([0.5])
    )
    assert "off by 0.25" in out and f"{float(expected):.3f}" not in out

    def crashes(query, key, value, mask=None):
        return query @ key  # wrong shapes: raises

    assert not exercises.check_function("02.attention", crashes)
    assert "raised RuntimeError" in capsys.readouterr().out

    def wrong_shape(hidden, attention_mask):
        return hidden.mean(1, keepdim=True)

    assert not exercises.check_function("07.mean_pool", wrong_shape)
    assert "shape" in capsys.readouterr().out


def test_misuse_gets_a_clear_error():
    with pytest.raises(KeyError, match="no coding exercise"):
        exercises.check_function("02.casual_mask", lambda n: n)
    with pytest.raises(TypeError, match="pass the function itself"):
        exercises.check_function("02.causal_mask", torch.ones(2, 2))
