"""The look's server side: inline icons, loss formatting, and the theme's contrast."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template

from descent.ui import icon, icon_body, loss

ROOT = Path(settings.BASE_DIR)
CSS = (ROOT / "static" / "css" / "descent.css").read_text()


def test_an_icon_is_lucides_svg_inline_decorative_unless_labelled():
    bell = str(icon("bell"))
    assert bell.startswith('<svg class="icon icon-bell"') and 'aria-hidden="true"' in bell
    assert 'stroke="currentColor"' in bell and "<path" in bell and "license" not in bell
    labelled = str(icon("lock", label="locked"))
    assert 'role="img" aria-label="locked"' in labelled and "aria-hidden" not in labelled
    rendered = Template('{% load ui %}{% icon "menu" css="big" %}').render(Context())
    assert 'class="icon icon-menu big"' in rendered


def test_an_icon_that_is_not_installed_renders_as_nothing_and_a_bad_name_is_refused():
    assert str(icon("no-such-icon-anywhere")) == ""
    with pytest.raises(ValueError, match="lucide's file name"):
        icon_body("../../etc/passwd")


def test_every_icon_the_templates_name_exists_in_the_installed_set():
    names = set()
    for template in (ROOT / "templates").rglob("*.html"):
        names |= set(re.findall(r'{% icon(?:_symbol)? "([a-z0-9-]+)"', template.read_text()))
    assert len(names) > 15
    missing = sorted(name for name in names if not icon_body(name))
    assert missing == []


@pytest.mark.parametrize(("value", "shown"), [
    (0.32354, "0.3235"), (12.5, "12.5"), (1234.5, "1235"), (9999.9, "10000"), (0, "0"),
    (-2.5, "-2.5"), (0.001, "0.001"), (0.0001234, "1.23e-4"), (4.6e24, "4.60e+24"),
    (None, "–"), (float("nan"), "–"), (float("inf"), "–"),
])
def test_a_loss_is_shown_as_the_browser_shows_it(value, shown):
    # The same cases as formatLoss in static/common/format.js (toPrecision(4) and
    # toExponential(2): half up, exponent below 1e-3 and from 1e4).
    assert loss(value) == shown


def _variables(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+):\s*([^;]+);", block))


def _rgb(value: str, under: tuple[float, float, float] | None = None) -> tuple[float, ...]:
    value = value.strip()
    if value.startswith("#"):
        return tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))
    red, green, blue, alpha = (float(x) for x in re.match(r"rgba\(([^)]+)\)", value)
                               .group(1).split(","))
    assert under is not None, value
    pairs = zip((red, green, blue), under, strict=True)
    return tuple(c * alpha + u * (1 - alpha) for c, u in pairs)


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    def luminance(rgb):
        channels = [c / 255 for c in rgb]
        channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                    for c in channels]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


SCHEMES = {
    "dark": _variables(CSS[CSS.index(":root {"):CSS.index("@media (prefers-color-scheme")]),
}
SCHEMES["light"] = {**SCHEMES["dark"], **_variables(
    CSS[CSS.index("@media (prefers-color-scheme: light)"):CSS.index("/* --- base")])}
TEXT = ["text", "text-muted", "text-faint", "accent", "accent-strong", "amber", "good", "bad",
        "warn", "chart-text"]
BACKGROUNDS = ["bg", "surface", "surface-2", "surface-3"]


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_every_text_colour_meets_wcag_aa_on_every_background(scheme):
    colours = SCHEMES[scheme]
    low = [(text, background, round(_contrast(_rgb(colours[text]), _rgb(colours[background])), 2))
           for text in TEXT for background in BACKGROUNDS
           if _contrast(_rgb(colours[text]), _rgb(colours[background])) < 4.5]
    assert low == []
    # Badges: coloured text on its own tint over a panel; button text on the accent.
    for text in ["good", "bad", "warn", "accent", "amber"]:
        for background in ["surface", "surface-2"]:
            tint = _rgb(colours[f"{text}-soft"], under=_rgb(colours[background]))
            assert _contrast(_rgb(colours[text]), tint) >= 4.5, (text, background)
    assert _contrast(_rgb(colours["accent-ink"]), _rgb(colours["accent"])) >= 4.5


def test_page_stylesheets_take_their_colours_from_the_theme_variables():
    sheets = [ROOT / "static" / "challenges" / "challenges.css",
              ROOT / "static" / "challenges" / "blueprint.css",
              ROOT / "static" / "community" / "community.css",
              ROOT / "static" / "home" / "home.css"]
    literal = re.compile(r"#[0-9a-fA-F]{3,8}\b|rgba?\(")
    found = {sheet.name: literal.findall(sheet.read_text()) for sheet in sheets}
    # The one exception: the dataset scatter is a white PNG and keeps a white frame.
    assert found == {"challenges.css": ["#fff"], "blueprint.css": [], "community.css": [],
                     "home.css": []}


def _pictographic(character: str) -> bool:
    """Tell whether a character is an emoji-style pictograph (the browser test uses the exact
    Unicode property, \\p{Extended_Pictographic}; these blocks cover what a template could hold)."""
    point = ord(character)
    return (0x1F000 <= point <= 0x1FAFF or 0x2600 <= point <= 0x26FF or point == 0xFE0F
            or (0x2700 <= point <= 0x27BF and point != 0x2713))  # ✓ is a plain check mark


def test_no_template_or_script_uses_an_emoji_as_an_icon():
    files = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "static").rglob("*.js"),
             *(ROOT / "static").rglob("*.css")]
    found = {str(path.relative_to(ROOT)): sorted({c for c in path.read_text() if _pictographic(c)})
             for path in files}
    assert {path: chars for path, chars in found.items() if chars} == {}
    assert not re.search(r"&#(12[0-9]{4}|9[89][0-9]{2});",
                         "".join(p.read_text() for p in files))  # no emoji as entities either


def test_moment_shows_exact_utc_without_javascript_and_marks_the_time_relative():
    from datetime import UTC, datetime, timedelta, timezone

    from django.template import Context, Template

    paris = timezone(timedelta(hours=1))
    html = Template("{% load ui %}{% moment when %}").render(
        Context({"when": datetime(2026, 1, 31, 15, 5, 9, tzinfo=paris)}))
    assert html == ('<time datetime="2026-01-31T15:05:09+01:00" data-relative '
                    'title="2026-01-31 14:05 UTC">2026-01-31 14:05 UTC</time>')
    with_seconds = Template("{% load ui %}{% moment when True %}").render(
        Context({"when": datetime(2026, 1, 31, 14, 5, 9, tzinfo=UTC)}))
    assert ">2026-01-31 14:05:09 UTC<" in with_seconds
    assert Template("{% load ui %}{% moment None %}").render(Context()) == "–"
