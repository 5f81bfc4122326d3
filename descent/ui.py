"""Template tags of the site's look: `{% load ui %}`, then `{% icon "bell" %}`.

Icons are lucide-static's SVG files (npm, served from node_modules like uPlot), inlined into
the page rather than linked: an inline SVG takes the text colour (`currentColor`) and the
theme's variables, costs no request, and needs no emoji font. Without npm an icon renders as
nothing and the text next to it still says what it means.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Context
from functools import cache

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_NAME = re.compile(r"^[a-z0-9-]+$")
_BODY = re.compile(r"<svg[^>]*>(?P<body>.*)</svg>", re.DOTALL)
_FOUR_DIGITS = Context(prec=4, rounding=ROUND_HALF_UP)
_THREE_DIGITS = Context(prec=3, rounding=ROUND_HALF_UP)


@cache
def icon_body(name: str) -> str:
    """Return the inner SVG of lucide's icon `name` ("" when it is not installed)."""
    if not _NAME.match(name):
        raise ValueError(f"icon name {name!r}: use lucide's file name, e.g. 'bell'")
    path = settings.ICONS_DIR / f"{name}.svg"
    if not path.is_file():
        return ""
    match = _BODY.search(path.read_text(encoding="utf-8"))
    return " ".join(match.group("body").split()) if match else ""


@register.simple_tag
def icon(name: str, label: str = "", css: str = "") -> SafeString:
    """Inline icon `name`; with `label` it is an image with that name, else decoration."""
    body = icon_body(name)
    if not body:
        return mark_safe("")
    classes = f"icon icon-{name} {css}".strip()
    a11y = (format_html('role="img" aria-label="{}"', label) if label
            else mark_safe('aria-hidden="true"'))
    return format_html(
        '<svg class="{}" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
        'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" focusable="false" '
        "{}>{}</svg>",
        classes, a11y, mark_safe(body),  # noqa: S308 (lucide's own file, not user input)
    )


@register.simple_tag
def icon_symbol(name: str, symbol_id: str) -> SafeString:
    """Define icon `name` as an SVG <symbol> (inside <defs>), for `<use href="#id">`."""
    body = icon_body(name)
    if not body:
        return mark_safe("")
    return format_html(
        '<symbol id="{}" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
        'stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{}</symbol>',
        symbol_id, mark_safe(body),  # noqa: S308 (lucide's own file, not user input)
    )


@register.filter
def utc_minute(iso: str) -> str:
    """Show an ISO 8601 time as the site does without JavaScript: "2026-01-31 14:05 UTC"."""
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@register.filter
def loss(value: float | None) -> str:
    """Show a loss as static/common/format.js's formatLoss does: 4 significant digits,
    exponent form below 1e-3 or from 1e4 (a diverged run's losses reach 1e30).

    Rounded half up from the float's exact value, as JavaScript's toPrecision does.
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "–"
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-3 or magnitude >= 1e4):
        return f"{_THREE_DIGITS.create_decimal(value):.2e}"
    return format(_FOUR_DIGITS.create_decimal(value).normalize(), "f")


@register.simple_tag
def moment(value: datetime | str | None, seconds: bool = False) -> SafeString:
    """Render a time as `<time data-relative>`: exact UTC without JavaScript; with it,
    static/common/format.js shows it relative ("3 hours ago") and the exact time in the
    reader's own zone on hover."""
    if value is None or value == "":
        return mark_safe("–")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return mark_safe("–")
    exact = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC" if seconds
                                           else "%Y-%m-%d %H:%M UTC")
    return format_html('<time datetime="{}" data-relative title="{}">{}</time>',
                       value.isoformat(), exact, exact)
