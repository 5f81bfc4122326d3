"""Rules for the numbers in a spec: bounds, default, an example, and the words for them.

The table that implements a thing the spec names states its numbers with these rules, next
to the code that uses them (`optimizers.OPTIMIZERS[name].hyperparameters`,
`schedules.SCHEDULES[name].hyperparameters`); `spec.py` checks every value against its rule
and writes the message from the rule, so each range is written once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# The longest run any spec may ask for (also the ceiling of counts measured in epochs).
MAX_EPOCHS = 10_000


def _bound(value: float) -> str:
    """Write a bound as a person would: 0 not 0.0, 1e-08 as 1e-08."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Real:
    """A finite real number within bounds; an int is accepted and becomes a float.

    `symbol` names the value in a two-sided rule ("with 0 ≤ p < 1"; the key by default) and
    `note` follows the rule ("(it shrinks the learning rate)"). `default` None: required.
    """

    label: str
    example: float
    default: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    symbol: str = ""
    note: str = ""

    def contains(self, value: float) -> bool:
        """Tell whether a finite `value` is within the bounds."""
        if self.minimum is not None and (
            value < self.minimum or (self.exclusive_minimum and value == self.minimum)
        ):
            return False
        return self.maximum is None or not (
            value > self.maximum or (self.exclusive_maximum and value == self.maximum)
        )

    def rule(self) -> str:
        """Return the bounds in words: "> 0", "≥ 0", "with 0 ≤ momentum < 1"."""
        low = "<" if self.exclusive_minimum else "≤"
        high = "<" if self.exclusive_maximum else "≤"
        if self.minimum is not None and self.maximum is not None:
            text = (f"with {_bound(self.minimum)} {low} {self.symbol or self.label} {high} "
                    f"{_bound(self.maximum)}")
        elif self.minimum is not None:
            text = f"{'>' if self.exclusive_minimum else '≥'} {_bound(self.minimum)}"
        elif self.maximum is not None:
            text = f"{high} {_bound(self.maximum)}"
        else:
            text = "(any finite number)"
        return f"{text} {self.note}" if self.note else text

    def with_default(self, default: float) -> Real:
        """Return the same rule with another default (beta2 is 0.99 for rmsprop)."""
        return dataclasses.replace(self, default=default)


@dataclass(frozen=True)
class Whole:
    """A whole number (never a bool, never a float such as 32.0) within bounds."""

    label: str
    example: int
    minimum: int
    maximum: int | None = None
    default: int | None = None

    def contains(self, value: int) -> bool:
        """Tell whether `value` is within the bounds."""
        return value >= self.minimum and (self.maximum is None or value <= self.maximum)

    def rule(self) -> str:
        """Return the bounds in words: "≥ 1", "between 1 and 4096"."""
        if self.maximum is None:
            return f"≥ {self.minimum}"
        return f"between {self.minimum} and {self.maximum}"


Rule = Real | Whole
