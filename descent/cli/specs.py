"""Specs as the CLI handles them: read from a file or a run, written out, compared key by key.

The comparison itself (`spec_changes`) lives in `descent/specdiff.py`, shared with the compare
page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from descent.cli.errors import EXIT_USAGE, CliError
from descent.engine.__main__ import CommandError, read_spec_document
from descent.specdiff import MISSING, flatten, spec_changes

__all__ = ["MISSING", "flatten", "read_spec_file", "spec_changes", "write_spec_file"]

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
