"""JSON lines: the one format of the course's generated data files under ``data/``.

Introduced in notebook 01 (the English -> Russian corpus); every generated corpus of the course
(:mod:`course_utils.corpora.registry`) is written, read and checked with these functions:

- :func:`write_jsonl` writes one compact JSON object per line (UTF-8, Cyrillic kept readable,
  ``\\n`` line ends on every system), so a generator gives byte-identical files everywhere;
- :func:`read_jsonl` reads them back, naming the file and line of a broken record;
- :func:`ensure_file` finds a file in ``data/`` and regenerates it from its seed when missing;
- :func:`jsonl_text` is the exact text :func:`write_jsonl` writes, for the ``--check`` that
  compares a committed file with its generator.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ..paths import data_dir

__all__ = ["dumps_record", "ensure_file", "jsonl_text", "read_jsonl", "write_jsonl"]


def dumps_record(record: dict) -> str:
    """One record as one compact JSON line (no trailing newline), Cyrillic kept as is."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def jsonl_text(records: Iterable[dict]) -> str:
    """The text of a JSON-lines file holding ``records``: one :func:`dumps_record` per line."""
    return "".join(dumps_record(record) + "\n" for record in records)


def write_jsonl(records: Sequence[dict], path: Path | str) -> Path:
    """Write one JSON object per line to ``path`` (folders created); returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(jsonl_text(records), encoding="utf-8", newline="\n")
    return path


def read_jsonl(path: Path | str, required: Iterable[str] = ()) -> list[dict]:
    """Read a JSON-lines file into a list of dicts (blank lines skipped).

    Raises ``ValueError`` naming ``file:line`` for a line that is not a JSON object or that
    lacks one of the ``required`` fields.
    """
    path = Path(path)
    required = set(required)
    records = []
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{line_number} is not valid JSON ({err.msg})") from None
            if not isinstance(record, dict):
                raise ValueError(
                    f"{path}:{line_number} holds a {type(record).__name__}, not an object"
                )
            missing = required - set(record)
            if missing:
                raise ValueError(f"{path}:{line_number} lacks the fields {sorted(missing)}")
            records.append(record)
    return records


def ensure_file(
    name_or_path: Path | str,
    generator: Callable[[], list[dict]] | None = None,
    regenerate: bool = True,
) -> Path:
    """The path of a generated data file, written from ``generator()`` first when it is missing.

    ``name_or_path``: a file name in ``data/`` (``"en_ru_parallel.jsonl"``) or a path. A missing
    file is generated when ``regenerate`` and a ``generator`` is given; otherwise
    ``FileNotFoundError`` says which command writes it.
    """
    path = Path(name_or_path)
    if not path.is_file() and path.name == str(name_or_path):
        path = data_dir() / path.name
    if not path.is_file():
        if regenerate and generator is not None:
            write_jsonl(generator(), path)
        else:
            raise FileNotFoundError(
                f"{path} not found; write the course's data files with "
                f"`python -m course_utils.corpora`"
            )
    return path
