"""Reading JSON Lines data files (evaluation sets) with errors that say file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class DataFileError(ValueError):
    """A data file that does not have the expected shape (the message says where)."""


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"{path}: {exc.strerror}") from exc
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFileError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(item, dict):
                raise DataFileError(f"{path}:{number}: expected a JSON object")
            yield number, item


def read_labelled(path: Path, labels: frozenset[str]) -> list[tuple[str, str]]:
    """(text, label) rows of a `{"text", "label"}` file whose labels are all in `labels`."""
    rows: list[tuple[str, str]] = []
    for number, item in read_jsonl(path):
        text, label = item.get("text"), item.get("label")
        if not isinstance(text, str) or not text.strip():
            raise DataFileError(f"{path}:{number}: 'text' must be a non-empty string")
        if label not in labels:
            raise DataFileError(
                f"{path}:{number}: label {label!r} is not one of {', '.join(sorted(labels))}"
            )
        rows.append((text, str(label)))
    if not rows:
        raise DataFileError(f"{path}: there are no rows")
    return rows
