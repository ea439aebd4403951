"""The lower bounds in pyproject.toml are the versions in constraints/floors.txt.

`bash scripts/test_floors.sh` runs the whole suite on those floors, so a bound that is declared
here is one that has been tested; a bound changed in one file and not the other fails here.
"""

import re
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the check needs to run on one version only

ROOT = Path(__file__).resolve().parents[1]


def _floor_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints" / "floors.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[_normalise(name)] = version
    return pins


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared_bounds() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for group in project["optional-dependencies"].values():
        requirements += group
    bounds = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement)
        assert match, f"{requirement!r}: every dependency needs a plain lower bound 'name>=X.Y'"
        bounds[_normalise(match.group(1))] = match.group(2)
    return bounds


def test_every_declared_floor_is_the_tested_pin():
    pins, bounds = _floor_pins(), _declared_bounds()
    assert set(bounds) == set(pins), (
        f"only in pyproject.toml: {sorted(set(bounds) - set(pins))}; "
        f"only in constraints/floors.txt: {sorted(set(pins) - set(bounds))}"
    )
    differ = {name: (bounds[name], pins[name]) for name in bounds if bounds[name] != pins[name]}
    assert not differ, f"pyproject floor != floors.txt pin: {differ}"


def test_pinned_versions_satisfy_the_floors():
    """requirements.txt (what CI installs) must lie inside the declared ranges."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[_normalise(name)] = version

    def as_tuple(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version.split("."))

    for name, floor in _declared_bounds().items():
        assert name in pins, f"{name} is declared in pyproject.toml but not pinned"
        assert as_tuple(pins[name]) >= as_tuple(floor), (name, pins[name], floor)


def test_torch_comes_first_in_both_files():
    """An unpinned or late torch can pull a multi-GB CUDA build; setup installs it first."""
    for path in ("requirements.txt", "constraints/floors.txt"):
        lines = [line for line in (ROOT / path).read_text().splitlines() if line and line[0] != "#"]
        assert lines[0].startswith("torch=="), path
