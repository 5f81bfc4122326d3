"""Row ids in URLs and inputs: whole numbers that fit the database's 64-bit keys.

`<id:name>` in a URL matches 1 to 19 digits up to `MAX_ID` (a larger number is no match, so a
404, where Django's `<int:...>` passed it to the database, which raised OverflowError on
SQLite: a 500). Importing this module registers the converter; every urls module that uses it
imports `ID_CONVERTER` from here.
"""

from __future__ import annotations

from django.urls import register_converter

# BigAutoField's largest key (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class IdConverter:
    """A path converter for row ids: 1–19 digits, at most MAX_ID."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError(f"{value} is larger than any id")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


ID_CONVERTER = "id"
register_converter(IdConverter, ID_CONVERTER)


def id_in_range(value: object) -> bool:
    """Tell whether `value` is an int that can be a row id."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID
