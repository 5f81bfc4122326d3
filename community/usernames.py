"""What a new username may be: one rule for the sign-up page and `POST /api/auth/register/`.

The name is NFKC-normalised first (so fullwidth `ada` is `ada` and a ligature is two letters), then
checked — length after normalising, never before:

- 3 to 30 characters, ASCII letters, digits, `_`, `-` and `.` only, starting and ending with a
  letter or a digit (Django's `ASCIIUsernameValidator` plus our stricter pattern). So no
  markup, no `/ ? #` (a profile URL that could never resolve), no whitespace, no zero-width or
  control characters, and no look-alike letters from other scripts (a Cyrillic `a`, U+0430).
- Not confusable with an existing name: two names clash when their *skeletons* are equal.
  The skeleton (after Unicode TR39's, for the ASCII that is left) is the lower-cased name with
  `rn`→`m`, `vv`→`w`, `0`→`o`, `1`→`l` and `i`→`l`: `Ada`, `ADA`, `adm1n`/`admin`,
  `rnoon`/`moon` clash. The same steps run in SQL (`Lower` and `Replace`), so names made
  before this rule, by the admin or `createsuperuser`, are compared too.

Why not a Unicode confusables library: with the names limited to ASCII, the only look-alikes
left are these few, and a library's full TR39 table would add a dependency for nothing.
Existing accounts are not renamed: they log in and their profiles resolve as before.
"""

from __future__ import annotations

import re
import unicodedata

from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinLengthValidator, RegexValidator
from django.db.models import F, Func, Value
from django.db.models.functions import Lower, Replace

from community.models import User

MIN_LENGTH = 3
MAX_LENGTH = 30
ALLOWED = re.compile(r"\A[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?\Z")
# Applied in order, after lower-casing: "rn" before "m" exists, "1" and "i" both become "l".
CONFUSABLE_STEPS = (("rn", "m"), ("vv", "w"), ("0", "o"), ("1", "l"), ("i", "l"))

VALIDATORS = [
    MinLengthValidator(MIN_LENGTH, f"use at least {MIN_LENGTH} characters"),
    MaxLengthValidator(MAX_LENGTH, f"use at most {MAX_LENGTH} characters"),
    ASCIIUsernameValidator(),
    RegexValidator(ALLOWED, "start and end with a letter or a digit; in between use letters "
                            "a-z, digits, _ - and . only"),
]


def _character(char: str) -> str:
    name = unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    if char.isspace() or unicodedata.category(char) in {"Cf", "Cc", "Zs"}:
        return f"{code} {name or 'a control character'} (invisible)"
    return f"'{char}' ({code}{' ' + name if name else ''})"


def username_skeleton(name: str) -> str:
    """Return the form two names share when they look alike (see the module docstring)."""
    skeleton = name.lower()
    for old, new in CONFUSABLE_STEPS:
        skeleton = skeleton.replace(old, new)
    return skeleton


def _skeleton_sql() -> Func:
    expression: Func = Lower(F("username"))
    for old, new in CONFUSABLE_STEPS:
        expression = Replace(expression, Value(old), Value(new))
    return expression


def username_clean(raw: str) -> tuple[str, list[str]]:
    """Return the normalised name and what is wrong with it (an empty list when it is fine)."""
    name = unicodedata.normalize("NFKC", raw)
    problems: list[str] = []
    for validator in VALIDATORS:
        try:
            validator(name)
        except ValidationError as exc:
            problems.extend(exc.messages)
    if problems:
        bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c in "_.-"))},
                     key=ord)
        if bad:
            shown = ", ".join(_character(c) for c in bad[:5])
            problems.insert(0, f"a username may not contain {shown}")
        # Django's validator repeats ours in other words: say each thing once.
        problems = list(dict.fromkeys(p for p in problems if "Enter a valid username" not in p))
        return name, problems
    taken = (User.objects.annotate(skeleton=_skeleton_sql())
             .filter(skeleton=username_skeleton(name)).values_list("username", flat=True)
             .first())
    if taken is not None:
        same = taken.lower() == name.lower()
        problems.append("a builder with that username already exists" if same else
                        f"'{name}' looks too much like the existing builder '{taken}'; "
                        "choose a clearly different name")
    return name, problems
