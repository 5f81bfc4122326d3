"""Compare two specs key by key: the `descent diff` command's and the compare page's diff.

Pure Python (no Django, no engine): the CLI, which never imports Django, and the web side
both import it.
"""

from __future__ import annotations

from typing import Any

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "(absent)"})()


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
