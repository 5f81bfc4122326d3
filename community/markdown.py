"""Render board Markdown to HTML that is safe to show to everyone.

Two independent layers, so that a bug in one is not a hole:

1. markdown-it-py with its `js-default` preset: CommonMark, raw HTML off (`<script>` comes
   out as text) and its own link validator, which refuses `javascript:`, `vbscript:`,
   `file:` and most `data:` URLs.
2. nh3 (the Rust `ammonia` sanitiser) with an allow-list: only the tags Markdown produces,
   only http/https/mailto URLs (relative ones are dropped too), no `style`, no event
   handlers, `rel="nofollow noopener"` on every link, and only Pygments' token classes.

Code fences with a language Pygments knows are highlighted; the CSS is
`static/community/pygments.css`.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "span",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Pygments' short token class names ("k", "nf", "s2", ...) and our wrapper class; any other
# class is dropped so that a post cannot borrow the site's own classes to dress up as UI.
ALLOWED_CLASSES = {
    "span": {name for name in STANDARD_TYPES.values() if name},
    "pre": {"highlight"},
}
MAX_HIGHLIGHT_CHARS = 20_000


def _highlight(code: str, language: str, _attrs: str) -> str:
    """Highlight a fenced code block with Pygments; "" lets markdown-it escape it plainly."""
    if not language or len(code) > MAX_HIGHLIGHT_CHARS:
        return ""
    try:
        lexer = get_lexer_by_name(language.strip().split()[0].lower())
    except ClassNotFound:
        return ""
    body = highlight(code, lexer, HtmlFormatter(nowrap=True))
    return f'<pre class="highlight"><code>{body}</code></pre>\n'


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    renderer = MarkdownIt("js-default", {"highlight": _highlight})
    renderer.enable(["table", "strikethrough"])
    return renderer


def sanitize_html(html: str, *, url_relative: str = "deny") -> str:
    """Clean an HTML fragment down to the board's allow-list.

    Relative links are dropped from builders' posts; staff-written lessons pass
    `url_relative="pass_through"` to keep links to the site's own pages.
    """
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        url_relative=url_relative,
        link_rel="nofollow noopener",
        allowed_classes=ALLOWED_CLASSES,
        strip_comments=True,
    )


def render_markdown(text: str, *, url_relative: str = "deny") -> str:
    """Render board Markdown to sanitised HTML; call once, when a post is written."""
    try:
        html = _renderer().render(text)
    except RecursionError:
        # Pathological nesting: show the source as text rather than fail the write.
        html = f"<pre>{escape(text)}</pre>"
    return sanitize_html(html, url_relative=url_relative)
