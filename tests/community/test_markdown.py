"""The Markdown pipeline: useful Markdown survives, every known XSS payload does not."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from community.markdown import ALLOWED_TAGS, render_markdown
from tests.community.xss_payloads import PAYLOADS

ACTIVE_TAGS = {
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "style",
    "svg",
    "math",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "link",
    "meta",
    "base",
    "video",
    "audio",
    "source",
    "template",
    "details",
    "marquee",
    "applet",
    "noscript",
    "xmp",
}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "background",
    "dynsrc",
    "lowsrc",
    "xlink:href",
    "data",
    "poster",
    "srcset",
}
SAFE_SCHEMES = {"http", "https", "mailto"}


class _Audit(HTMLParser):
    """Collect what a browser would see as tags and attributes in the rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ACTIVE_TAGS or tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r}")
            if name == "style":
                self.problems.append(f"style={value!r}")
            if name in URL_ATTRIBUTES:
                # html.parser has already decoded character references, as a browser would;
                # browsers also drop ASCII tab/newline and trim control characters and spaces.
                url = "".join(ch for ch in (value or "") if ch not in "\t\n\r").strip("\x00- ")
                scheme = urlsplit(url).scheme.lower()
                if scheme not in SAFE_SCHEMES:
                    self.problems.append(f"{name}={value!r}")

    handle_startendtag = handle_starttag


def audit(html: str) -> list[str]:
    parser = _Audit()
    parser.feed(html)
    parser.close()
    return parser.problems


def test_the_corpus_holds_at_least_a_hundred_payloads():
    assert len(PAYLOADS) >= 100


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_xss_payload_renders_inert(payload):
    html = render_markdown(payload)
    assert audit(html) == [], html


def test_links_get_nofollow_noopener_and_keep_their_http_url():
    html = render_markdown("[docs](https://example.com/a?b=1) and <mailto:ada@example.com>")
    assert 'href="https://example.com/a?b=1"' in html
    assert 'href="mailto:ada@example.com"' in html
    assert html.count('rel="nofollow noopener"') == 2


def test_raw_html_is_shown_as_text_not_dropped_silently():
    assert "&lt;b&gt;bold&lt;/b&gt;" in render_markdown("<b>bold</b>")


def test_code_blocks_are_highlighted_with_pygments_classes():
    html = render_markdown("```python\ndef loss(y):\n    return y ** 2\n```")
    assert '<pre class="highlight">' in html
    assert '<span class="k">def</span>' in html


def test_unknown_code_language_is_escaped_plain_code():
    html = render_markdown("```nolanguage\n<b>x</b>\n```")
    assert "<pre><code>&lt;b&gt;x&lt;/b&gt;\n</code></pre>" in html


def test_markdown_basics_survive_sanitising():
    html = render_markdown(
        "# Loss\n\n*mse* **diverged** ~~nan~~\n\n- a\n- b\n\n> quote\n\n| a |\n|---|\n| 1 |"
    )
    for tag in ("<h1>", "<em>", "<strong>", "<s>", "<ul>", "<li>", "<blockquote>", "<table>"):
        assert tag in html


def test_https_image_is_kept_but_data_image_is_not():
    assert 'src="https://example.com/x.png"' in render_markdown("![x](https://example.com/x.png)")
    assert "src=" not in render_markdown("![x](data:image/png;base64,iVBORw0KGgo=)")


@pytest.mark.parametrize(
    "html",
    [
        '<a href="javascript:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<img src="data:image/png;base64,AAA">',
        '<a href="/relative">x</a>',
        '<p onclick="x()">x</p>',
        "<script>x</script>",
        '<span style="color:red">x</span>',
    ],
)
def test_the_audit_itself_catches_what_it_looks_for(html):
    assert audit(html) != []
