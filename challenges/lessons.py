r"""Render lesson Markdown with TeX formulas left intact for KaTeX in the browser.

Markdown would mangle TeX: `\{` is a Markdown escape, `w_i ... x_i` becomes emphasis, `*` a
list. So `$$...$$` and `$...$` spans are lifted out before rendering (replaced by inert
placeholders), the rest goes through the board's Markdown renderer and allow-list
(`community.markdown`, relative links kept), and the spans come back HTML-escaped, `$` delimiters
and all. KaTeX's auto-render then typesets them on the page; without it they read as TeX.

This is the one renderer for lesson, quiz, glossary and FAQ text on every page that shows it
(the lesson page, the challenge page, the quiz results, the glossary, the FAQ); each of those
templates includes `_katex_head.html` and `_katex_scripts.html` and marks the text `data-math`.
"""

from __future__ import annotations

import re
import secrets
from html import escape

from community.markdown import render_markdown

# Display math first, then inline math that does not span a blank line or start with a space
# (so "it costs $5 and $6" stays prose).
MATH = re.compile(r"\$\$(?:.|\n)+?\$\$|\$(?!\s)[^$\n]+?(?<!\s)\$")
# Code spans and fences are Markdown's, not TeX: keep a `$` inside them as it is.
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def lift_math(text: str, placeholder: str = "MATH{}X") -> tuple[str, list[str]]:
    """Replace each TeX span outside code with `placeholder` numbered; return text and spans.

    The spans keep their delimiters (`$...$`, `$$...$$`). The tests use this to check every
    formula in the content with KaTeX, and that no `$` is left over in the prose.
    """
    spans: list[str] = []

    def lift(match: re.Match[str]) -> str:
        spans.append(match.group(0))
        return placeholder.format(len(spans) - 1)

    pieces, last = [], 0
    for code in CODE.finditer(text):
        pieces.append(MATH.sub(lift, text[last:code.start()]))
        pieces.append(code.group(0))
        last = code.end()
    pieces.append(MATH.sub(lift, text[last:]))
    return "".join(pieces), spans


def render_lesson(text: str) -> str:
    """Render a lesson to sanitised HTML whose `$...$`/`$$...$$` spans are untouched TeX."""
    token = secrets.token_hex(8)
    lifted, spans = lift_math(text, f"MATH{token}X{{}}X")
    # Staff write lessons, so links to the site's own pages (/glossary/) are kept; otherwise
    # the board's allow-list applies unchanged.
    html = render_markdown(lifted, url_relative="pass_through")
    return re.sub(rf"MATH{token}X(\d+)X", lambda m: escape(spans[int(m.group(1))], quote=False),
                  html)
