"""Specs as the CLI handles them: read from a file or a run, written out, compared key by key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from descent.cli.errors import EXIT_USAGE, CliError
from descent.engine.__main__ import CommandError, read_spec_document

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "(absent)"})()


def read_spec_file(path: Path) -> Any:
    """Read a spec document from JSON (the server validates it); raise `CliError` if unreadable."""
    try:
        return read_spec_document(path)
    except CommandError as error:
        raise CliError(*(line.removeprefix("error: ") for line in error.lines),
                       exit_code=EXIT_USAGE) from None


def write_spec_file(path: Path, spec: dict[str, Any]) -> None:
    """Write a spec as indented JSON, ready to edit and submit."""
    try:
        path.write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror or error}",
                       exit_code=EXIT_USAGE) from None


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Map every leaf of a spec to its field path, as error messages name them.

    `{"layers": [{"units": 8}], "optimizer": {"name": "adam"}}` →
    `{"layers[0].units": 8, "optimizer.name": "adam"}`; an empty object or list is a leaf.
    """
    if isinstance(value, dict) and value:
        leaves: dict[str, Any] = {}
        for key, item in value.items():
            leaves.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return leaves
    if isinstance(value, list) and value:
        leaves = {}
        for index, item in enumerate(value):
            leaves.update(flatten(item, f"{prefix}[{index}]"))
        return leaves
    return {prefix or "spec": value}


def spec_changes(a: Any, b: Any) -> list[tuple[str, Any, Any]]:
    """List `(path, value in a, value in b)` for every path whose values differ, in order.

    A path present in only one spec has `MISSING` on the other side.
    """
    left, right = flatten(a), flatten(b)
    paths = list(left) + [path for path in right if path not in left]
    return [(path, left.get(path, MISSING), right.get(path, MISSING)) for path in paths
            if path not in left or path not in right or not _same(left[path], right[path])]


def _same(a: Any, b: Any) -> bool:
    # 0.1 and 0.1 are the same value; 1 and 1.0 are too (the engine normalises ints to floats
    # where a float is expected), but True is not 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b
