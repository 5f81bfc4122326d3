"""Formulas typeset in a real browser: the challenge page, the lesson page, glossary and FAQ.

The server-side tests check that the TeX reaches the page intact; this one checks that KaTeX
(served from node_modules) then typesets it there, `\\,` and all, with no raw `$$` left.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect, sync_playwright

from challenges.models import BlueprintNode
from tests.e2e.test_live_browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, new_context, watch
from tests.support import stack

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

# (page, the element holding the text, one formula's TeX that must come out typeset)
PAGES = [
    ("/challenges/fit-a-line/", "section.lesson", "w \\leftarrow w - \\alpha \\, \\nabla J(w)"),
    ("/blueprint/fit-a-line/", "article.lesson", "w \\leftarrow w - \\alpha \\, \\nabla J(w)"),
    ("/glossary/", "#learning-rate", "w \\leftarrow w - \\alpha \\nabla J(w)"),
    ("/faq/", "#what-is-sgd", "n/|B|"),
]


def test_every_page_with_lesson_text_typesets_its_formulas_with_katex():
    call_command("seed_demo", "--no-runs", stdout=io.StringIO())
    assert BlueprintNode.objects.filter(challenge__slug="fit-a-line").exists()
    errors: list[str] = []
    with stack.asgi_server(DEBUG="1") as (_server, port), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = new_context(browser, f"http://127.0.0.1:{port}")
        for path, box, formula in PAGES:
            page = watch(context.new_page(), path, errors)
            typeset = page.locator(f"{box} .katex")
            expect(typeset.first).to_be_visible(timeout=WAIT_MS)
            # KaTeX keeps each formula's source in its MathML: the source, not its remains.
            sources = page.locator(f"{box} annotation[encoding='application/x-tex']")
            assert sources.count() == typeset.count() > 0, path
            assert formula in sources.all_text_contents(), path
            shown = page.locator(box).inner_text()
            assert "$" not in shown and "\\frac" not in shown, (path, shown[:300])
            page.close()
        browser.close()
    assert errors == []
