"""Read TOML strictly for the content files: one table at a time, each key by its type.

Every message names the file, the table and the key, and says what to write instead.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from descent.engine.spec import SpecError, parse_spec

FRONT_MATTER = "+++"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Where a string or a comment may start, and where a basic string's body stops (an escape or
# the closing quote): what the TeX check in `parse_toml` scans for.
STRING_OR_COMMENT = re.compile(r"[#'\"]")
BASIC_STRING_STOP = {'"': re.compile(r'\\|"'), '"""': re.compile(r'\\|"""')}
LITERAL_HINT = "write TeX in a literal string, '''...''' or '...', which keeps every backslash"


class ContentError(ValueError):
    """A content file is malformed; the message names the file, the key and the fix."""


_REQUIRED: Any = object()


class Table:
    """Read one TOML table strictly: each key by its type; a key nobody asked for is an error.

    `file` and `section` (the table's dotted name, "" at the top) name it in every message.
    """

    def __init__(self, raw: Any, file: Path, section: str = "") -> None:
        self.file, self.section = file, section
        if not isinstance(raw, dict):
            raise self.error(f"expected a table, got {_kind(raw)}")
        self.raw, self.known = raw, []

    def error(self, message: str) -> ContentError:
        return ContentError(f"{self.file}{f' [{self.section}]' if self.section else ''}: "
                            f"{message}")

    def value(self, key: str, default: Any = _REQUIRED) -> Any:
        """Take a key's value as it is; a missing key without a default is an error."""
        self.known.append(key)
        if key in self.raw:
            return self.raw[key]
        if default is _REQUIRED:
            typo = difflib.get_close_matches(key, [k for k in self.raw if k not in self.known])
            raise self.error(f"missing key '{key}'"
                             + (f" (is '{typo[0]}' a misspelling of it?)" if typo else ""))
        return default

    def wrong(self, key: str, wanted: str, value: Any) -> ContentError:
        return self.error(f"'{key}' must be {wanted}, got {_kind(value)} {value!r}")

    def text(self, key: str, default: Any = _REQUIRED) -> str:
        value = self.value(key, default)
        if not isinstance(value, str):
            raise self.wrong(key, "a string", value)
        return value

    def slug(self, key: str) -> str:
        value = self.text(key)
        if not SLUG.match(value):
            raise self.wrong(key, "a slug (lower-case letters, digits and hyphens)", value)
        return value

    def integer(self, key: str, default: Any = _REQUIRED) -> int:
        value = self.value(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.wrong(key, "a whole number ≥ 0", value)
        return value

    def number(self, key: str, default: Any = _REQUIRED) -> float | None:
        value = self.value(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.wrong(key, "a number", value)
        return float(value)

    def texts(self, key: str, default: Any = _REQUIRED) -> tuple[str, ...]:
        value = self.value(key, default)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise self.wrong(key, "a list of strings", value)
        return tuple(value)

    def mapping(self, key: str, default: Any = _REQUIRED) -> dict[str, Any]:
        value = self.value(key, default)
        if not isinstance(value, dict):
            raise self.wrong(key, "a table", value)
        return value

    def table(self, key: str) -> Table:
        return Table(self.value(key), self.file, self._inner(key))

    def optional_table(self, key: str) -> Table | None:
        value = self.value(key, None)
        return None if value is None else Table(value, self.file, self._inner(key))

    def tables(self, key: str) -> list[Table]:
        """Take an array of tables (`[[key]]`, possibly none)."""
        value = self.value(key, [])
        if not isinstance(value, list):
            raise self.wrong(key, f"tables written [[{self._inner(key)}]]", value)
        return [Table(item, self.file, f"{self._inner(key)} #{index + 1}")
                for index, item in enumerate(value)]

    def spec(self, key: str) -> dict[str, Any]:
        """Take a model spec (CONTRACT.md §1) that the engine accepts."""
        spec = self.mapping(key)
        try:
            parse_spec(spec)
        except SpecError as exc:
            raise Table({}, self.file, self._inner(key)).error(str(exc)) from exc
        return spec

    def done(self) -> None:
        """Refuse the keys nobody asked for, naming the ones that exist."""
        unknown = [key for key in self.raw if key not in self.known]
        if unknown:
            raise self.error(f"unknown key '{unknown[0]}'; the keys here are "
                             f"{', '.join(self.known)}")

    def _inner(self, key: str) -> str:
        return f"{self.section}.{key}" if self.section else key


def _kind(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "true/false",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def split_front_matter(file: Path) -> tuple[dict[str, Any], str]:
    """Return a content file's TOML front matter and its Markdown body (the lesson)."""
    lines = read_text(file).splitlines(keepends=True)
    if not lines or lines[0].strip() != FRONT_MATTER:
        raise ContentError(f"{file}: start the file with a '{FRONT_MATTER}' line, then the TOML "
                           f"front matter, then another '{FRONT_MATTER}' line and the lesson")
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == FRONT_MATTER), None)
    if end is None:
        raise ContentError(f"{file}: the front matter has no closing '{FRONT_MATTER}' line")
    # tomllib counts lines from the front matter's first; the file has the '+++' line above.
    front = parse_toml("".join(lines[1:end]), f"{file}: front matter", first_line=2)
    body = "".join(lines[end + 1:]).strip("\n")
    return front, (body + "\n" if body else "")


def parse_toml(text: str, where: str, *, first_line: int = 1) -> dict[str, Any]:
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = re.sub(r"at line (\d+)", lambda m: f"at line {int(m[1]) + first_line - 1}",
                         str(exc))
        if "Unescaped '\\'" in message:
            message += f"; {LITERAL_HINT}"
        raise ContentError(f"{where}: {message}") from exc
    line = _escape_before_letter(text)
    if line is not None:
        raise ContentError(
            f"{where}: line {line + first_line - 1}: a backslash before a letter in a \"...\" "
            f"string is a TOML escape (\\n is a newline, \\f a form feed, so $\\nabla$ and "
            f"$\\frac$ would lose theirs); {LITERAL_HINT}")
    return parsed


def _escape_before_letter(text: str) -> int | None:
    r"""Return the line of the first `\` + letter inside a basic ("...") string, or None.

    TOML reads `\n`, `\t`, `\f`, `\b` and `\r` in a basic string as control characters, so
    TeX written there (`\nabla`, `\theta`, `\frac`, `\beta`, `\rho`) parses without an error
    and loses its command. Only called on text that parsed, so the strings are well formed.
    """
    position = 0
    while found := STRING_OR_COMMENT.search(text, position):
        start, char = found.start(), found.group(0)
        if char == "#":  # a comment runs to the end of its line
            end = text.find("\n", start)
            position = len(text) if end == -1 else end
            continue
        quote = char * 3 if text.startswith(char * 3, start) else char
        end = start + len(quote)
        if char == "'":  # a literal string: no escapes at all
            end = text.find(quote, end)
        else:
            while (stop := BASIC_STRING_STOP[quote].search(text, end)).group(0) == "\\":
                after = text[stop.end()]
                if after.isalpha() and after not in "uU":  # \uXXXX is a valid escape
                    return text.count("\n", 0, stop.start()) + 1
                end = stop.end() + 1  # past the escaped character: \\, \", \u…
            end = stop.start()
        while len(quote) == 3 and text.startswith(char, end + 3):  # a quote before the close
            end += 1
        position = end + len(quote)
    return None


def load_toml(file: Path) -> dict[str, Any]:
    return parse_toml(read_text(file), str(file))


def read_text(file: Path) -> str:
    """Read a content file as UTF-8; a missing or undecodable one is a ContentError."""
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ContentError(f"{file}: no such file; the content directory needs it") from exc
    except UnicodeDecodeError as exc:
        raise ContentError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                           f"save it as UTF-8") from exc
