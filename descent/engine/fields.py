"""Check one field of a spec against its rule, and say what is wrong, briefly.

`spec.py` walks the spec section by section; this module holds what every section uses: the
error collector (`Errors`, raised as `SpecError`), the checks of one value (`check_whole`,
`check_real`, `check_choice`, `check_object`), and how a bad value is shown in a message.
Whatever the value (a 5,000-digit integer, NaN, a list nested thousands deep, a megabyte
string, an object with 20,000 keys), a check costs a bounded amount of work and writes a
short message: values are shown shortened, huge integers by their size, and only the first
`MAX_UNKNOWN_KEYS_SHOWN` unknown keys of a spec are listed (the rest are counted).
"""

from __future__ import annotations

import difflib
import json
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from descent.engine.hyperparameters import Real, Rule, Whole

# The error stays small whatever the document: values are shown up to MAX_SHOWN characters,
# keys up to MAX_KEY_SHOWN, and the first MAX_UNKNOWN_KEYS_SHOWN unknown keys are listed.
MAX_SHOWN = 60
MAX_KEY_SHOWN = 40
MAX_UNKNOWN_KEYS_SHOWN = 20
# No name the spec knows is longer; a longer word gets no "did you mean" (difflib would
# spend time proportional to its length).
MAX_SUGGESTED_LENGTH = 64


# Names people bring from other libraries that difflib cannot match by spelling.
ALIASES = {
    "lr": "learning_rate",
    "learningrate": "learning_rate",
    "neurons": "units",
    "n_units": "units",
    "size": "units",
    "act": "activation",
    "optimiser": "optimizer",
    "optim": "optimizer",
    "scheduler": "schedule",
    "lr_schedule": "schedule",
    "n_epochs": "epochs",
    "num_epochs": "epochs",
    "weight_decay": "l2",
    "clip": "gradient_clip",
    "clip_norm": "gradient_clip",
    "kernel_initializer": "init",
    "initializer": "init",
    "decay": "gamma",
    "random_state": "seed",
}


class SpecError(Exception):
    """A spec that cannot be trained; `.errors` maps field paths to fix-it messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors: dict[str, list[str]] = {path: list(msgs) for path, msgs in errors.items()}
        super().__init__(self._summary())

    def __reduce__(self) -> tuple[type, tuple[dict[str, list[str]]]]:
        # Rebuild from the errors, not the summary, so the error survives pickling (Celery).
        return (type(self), (self.errors,))

    def _summary(self) -> str:
        lines = [f"{path or 'spec'}: {message}" for path, msgs in self.errors.items()
                 for message in msgs]
        return "invalid spec: " + "; ".join(lines)


class Errors:
    """Collect messages per path so one pass reports every problem."""

    def __init__(self) -> None:
        self.by_path: dict[str, list[str]] = {}
        self.unknown_keys_shown = 0

    def add(self, path: str, message: str) -> None:
        """Record one message at `path`."""
        self.by_path.setdefault(path, []).append(message)

    def unknown_keys(self, path: str, keys: Iterable[Any],
                     message: Callable[[Any, str], str]) -> None:
        """Report the unknown `keys` of the object at `path`, the first few in full.

        Past `MAX_UNKNOWN_KEYS_SHOWN` in the whole spec, keys are only counted, into one
        message at the object's path: a document with 20,000 junk keys costs one pass over
        them and a short answer.
        """
        hidden = 0
        for key in keys:
            if self.unknown_keys_shown < MAX_UNKNOWN_KEYS_SHOWN:
                self.unknown_keys_shown += 1
                name = key_text(key)
                self.add(join_path(path, name), message(key, name))
            else:
                hidden += 1
        if hidden:
            where = f" in {path}" if path else ""
            self.add(path or "spec", f"...and {hidden:,} more unknown keys{where} (not listed); "
                                     "remove every key that is not an accepted one")

    def __bool__(self) -> bool:
        return bool(self.by_path)

    def raise_if_any(self) -> None:
        """Raise `SpecError` with everything recorded, if anything was."""
        if self.by_path:
            raise SpecError(self.by_path)


# --- showing values -----------------------------------------------------------------------


def clip(text: str, limit: int = MAX_SHOWN) -> str:
    """Shorten `text` to `limit` characters, ending in "..." when cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def integer_text(number: int) -> str:
    """Write an int, or its size when it has too many digits to print (or to read)."""
    if number.bit_length() <= 128:
        return str(number)
    # str() of a huge int is slow and refused past 4,300 digits; its size is what matters.
    digits = int(number.bit_length() * math.log10(2)) + 1
    return f"{'-' if number < 0 else ''}an integer of about {digits:,} digits"


def _render(value: Any, depth: int) -> str:
    """Write a value as JSON would, shortened: at most 4 items per level, `depth` levels."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return integer_text(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(float(value))
    if isinstance(value, str):
        return json.dumps(value[: MAX_SHOWN + 1], ensure_ascii=False)
    if isinstance(value, Mapping):
        if depth <= 0:
            return "{...}" if value else "{}"
        parts = []
        for index, (key, item) in enumerate(value.items()):
            if index == 4:
                parts.append("...")
                break
            parts.append(f"{_render(key_text(key), 0)}: {clip(_render(item, depth - 1))}")
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list | tuple):
        if depth <= 0:
            return "[...]" if value else "[]"
        parts = [clip(_render(item, depth - 1)) for item in value[:4]]
        if len(value) > 4:
            parts.append("...")
        return "[" + ", ".join(parts) + "]"
    if isinstance(value, numbers.Real):
        try:
            return _render(float(value), depth)
        except (OverflowError, ValueError):
            return f"a {type(value).__name__} too large for a float"
    return f"a {type(value).__name__}"


def show(value: Any) -> str:
    """Render a value as the user wrote it (JSON), short enough for a message."""
    return clip(_render(value, 2))


def described(value: Any) -> str:
    """Show a value plus its JSON type where the text alone could mislead ("1" vs 1)."""
    if isinstance(value, bool):
        kind = "a boolean"
    elif isinstance(value, str):
        kind = "a string"
    elif isinstance(value, Mapping):
        kind = "an object"
    elif isinstance(value, list | tuple):
        kind = "a list"
    else:
        return show(value)
    return f"{show(value)} ({kind})"


def key_text(key: Any) -> str:
    """Return a key as text for a path or a message, shortened (`""` for the empty key)."""
    if isinstance(key, str) and not key:
        return '""'
    return clip(key if isinstance(key, str) else show(key), MAX_KEY_SHOWN)


def join_path(path: str, key: str) -> str:
    """Return the path of `key` inside the object at `path` ("" is the top level)."""
    return f"{path}.{key}" if path else key


def or_join(words: list[str]) -> str:
    """Join words as a person would: "a", "a or b", "a, b or c"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """Return " did you mean 'x'?" for a near miss (by spelling, case or known alias)."""
    if len(word) > MAX_SUGGESTED_LENGTH:
        return ""
    lowered = word.lower()
    if lowered in choices and lowered != word:
        return f" Did you mean '{lowered}'?"
    if ALIASES.get(lowered) in choices:
        return f" Did you mean '{ALIASES[lowered]}'?"
    close = difflib.get_close_matches(lowered, list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


# --- checking one value -------------------------------------------------------------------


def check_object(
    errors: Errors, path: str, value: Any, allowed: tuple[str, ...], example: str
) -> dict[str, Any] | None:
    """Check that `value` is an object with only `allowed` keys; report the rest."""
    if not isinstance(value, Mapping):
        errors.add(path or "spec", f"Invalid {path or 'spec'}: {described(value)}; "
                                   f"use an object, e.g. {example}")
        return None
    accepted = frozenset(allowed)
    where = f" in {path}" if path else ""
    errors.unknown_keys(
        path, (key for key in value if key not in accepted),
        lambda key, name: f"Unknown key '{name}'{where}.{suggest(name, allowed)} "
                          f"Accepted keys: {', '.join(allowed)}",
    )
    return dict(value)


def check_whole(errors: Errors, path: str, value: Any, rule: Whole) -> int | None:
    """Check a whole number (bool and float excluded) against `rule`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        errors.add(path, f"Invalid {rule.label}: {described(value)}; {_whole_hint(rule)}")
        return None
    number = int(value)
    if not rule.contains(number):
        errors.add(path, f"Invalid {rule.label}: {show(number)}; {_whole_hint(rule)}")
        return None
    return number


def _whole_hint(rule: Whole) -> str:
    return f"use a whole number {rule.rule()}, e.g. {rule.example}"


def _real_hint(rule: Real) -> str:
    return f"use a number {rule.rule()}, e.g. {rule.example}"


def check_real(errors: Errors, path: str, value: Any, rule: Real) -> float | None:
    """Check a finite real number (bool excluded) against `rule`; return it as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        errors.add(path, f"Invalid {rule.label}: {described(value)}; {_real_hint(rule)}")
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):
        # An int (or Fraction) past ~1.8e308 has no float: say so rather than raise.
        errors.add(path, f"Invalid {rule.label}: {show(value)} is too large to be a number "
                         f"here; {_real_hint(rule)}")
        return None
    if not math.isfinite(number):
        errors.add(path, f"Invalid {rule.label}: {show(number)}; it must be finite, "
                         f"{_real_hint(rule)}")
        return None
    if not rule.contains(number):
        errors.add(path, f"Invalid {rule.label}: {show(value)}; {_real_hint(rule)}")
        return None
    return number


def check_value(errors: Errors, path: str, value: Any, rule: Rule) -> float | int | None:
    """Check `value` against a `Whole` or a `Real` rule."""
    if isinstance(rule, Whole):
        return check_whole(errors, path, value, rule)
    return check_real(errors, path, value, rule)


def check_choice(
    errors: Errors, path: str, value: Any, *, label: str, choices: tuple[str, ...]
) -> str | None:
    """Check that `value` is one of the `choices` strings; suggest the nearest one if not."""
    options = ", ".join(choices)
    if not isinstance(value, str):
        errors.add(path, f"Invalid {label}: {described(value)}; "
                         f"use one of: {options}")
        return None
    if value not in choices:
        errors.add(path, f"Unknown {label}: '{clip(value, MAX_KEY_SHOWN)}'."
                         f"{suggest(value, choices)} Use one of: {options}")
        return None
    return value


def report_missing(errors: Errors, path: str, what: str) -> None:
    """Report a required key that is absent, saying what to add where."""
    parent, _, key = path.rpartition(".")
    errors.add(path, f"Missing {what}; add \"{key}\" to {parent or 'the spec'}")
