"""Accessibility and dead ends, measured in a real browser; the README's screenshots.

- axe-core (npm, `node_modules/axe-core`) on every main page, anonymous and signed in: no
  critical or serious violation.
- A crawl of every internal link from the home page of the demo world (`seed_demo`, what
  `make run` serves), anonymous and signed in, under the site's Content-Security-Policy: no
  4xx/5xx page or resource, no failed request, no console error. Links of one shape
  (`/runs/<id>/`, `?page=`) are followed once, not a thousand times.
- Screenshots of the main pages to docs/screenshots/ (dark theme, 1280 px; the home page at
  360 px too), which the README shows.

Real Chromium (Debian's), one real uvicorn for the module, the session's Redis.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Iterator
from urllib.parse import urldefrag, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Page

from community.models import User
from tests.e2e.test_journeys_browser import SCREENSHOTS, chromium
from tests.e2e.test_live_browser import new_context, session_cookie
from tests.e2e.test_pages_browser import world  # noqa: F401 (the fixture)
from tests.support import stack

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
  }));
}"""
# Not crawled: log-out ends the session mid-crawl; the admin is Django's own, staff only;
# the API's JSON is checked by its schema tests (the crawl follows pages, not data).
SKIP = ("/accounts/logout/", "/admin/", "/api/", "/static/", "/media/")
MAX_PAGES = 80
PER_SHAPE = 1


@pytest.fixture(scope="module")
def base_url(django_db_setup) -> Iterator[str]:
    with stack.asgi_server(DEBUG="1") as (_process, port):
        yield f"http://127.0.0.1:{port}"


def main_pages(made: dict, *, signed_in: bool) -> list[str]:
    pages = ["/", "/challenges/", "/challenges/line/", f"/runs/{made['good'].pk}/",
             f"/runs/{made['diverged'].pk}/", "/blueprint/", "/blueprint/line/", "/board/",
             f"/board/t/{made['thread'].pk}/", "/glossary/", "/faq/", f"/lab/{made['lab']}/",
             f"/compare/?runs={made['good'].pk}&challenge=line&pick=top", "/u/ada/"]
    if signed_in:
        return [*pages, "/challenges/line/submit/", "/board/new/", "/notifications/",
                "/notifications/settings/", f"/challenges/line/submit/?from={made['good'].pk}"]
    return [*pages, "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]


def test_axe_finds_no_critical_or_serious_violation_on_any_main_page(world, base_url):  # noqa: F811
    cookie = session_cookie(world["ada"])
    found: dict[str, list[dict]] = {}
    with chromium() as browser:
        for session in [None, cookie]:
            # axe is injected as a script of the test's own: this context alone bypasses the
            # CSP for it (the crawl below runs under the policy).
            context = browser.new_context(base_url=base_url, bypass_csp=True,
                                          viewport={"width": 1280, "height": 900},
                                          color_scheme="dark")
            if session:
                context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session,
                                      "url": base_url}])
            page = context.new_page()
            for path in main_pages(world, signed_in=session is not None):
                page.goto(path)
                page.wait_for_load_state("networkidle")
                page.add_script_tag(path=str(AXE))
                bad = [v for v in page.evaluate(AXE_RUN) if v["impact"] in {"critical", "serious"}]
                if bad:
                    found[f"{'signed in' if session else 'anonymous'} {path}"] = bad
            context.close()
    assert found == {}, "\n".join(f"{page}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
                                  for page, violations in found.items() for v in violations)


def internal_links(page: Page, base_url: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "(links) => links.map((a) => a.href)")
    links = []
    for href in hrefs:
        url, _fragment = urldefrag(href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != base_url:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not path.startswith(SKIP):
            links.append(path)
    return links


def shape(path: str) -> str:
    """The kind of page a link leads to: ids and query values left out."""
    path, _, query = path.partition("?")
    path = re.sub(r"/[0-9a-f-]{36}/|/\d+/", "/<id>/", path)
    keys = sorted(pair.split("=", 1)[0] for pair in query.split("&") if pair)
    return path + ("?" + "&".join(keys) if keys else "")


def crawl(browser, base_url: str, session: str | None) -> tuple[list[str], int]:
    """Visit every internal link reachable from / (up to MAX_PAGES); return (problems, pages)."""
    context = new_context(browser, base_url, session)
    page = context.new_page()
    problems: list[str] = []
    current = {"path": "/"}
    page.on("console", lambda m: m.type == "error"
            and problems.append(f"{current['path']}: console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"{current['path']}: error: {e}"))
    page.on("requestfailed", lambda r: problems.append(
        f"{current['path']}: failed request {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(
        f"{current['path']}: {r.status} for {r.url}"))
    seen, queue = {"/"}, deque(["/"])
    shapes: dict[str, int] = {}
    visited = 0
    while queue and visited < MAX_PAGES:
        path = queue.popleft()
        current["path"] = path
        response = page.goto(path)
        visited += 1
        if response is None or response.status >= 400:
            problems.append(f"{path}: answered {response and response.status}")
            continue
        page.wait_for_load_state("networkidle")
        for link in internal_links(page, base_url):
            if link not in seen and shapes.get(shape(link), 0) < PER_SHAPE:
                seen.add(link)
                shapes[shape(link)] = shapes.get(shape(link), 0) + 1
                queue.append(link)
    # Leaving a page closes its sockets; nothing is in flight once the crawl ends.
    page.goto("about:blank")
    context.close()
    return problems, visited


def test_a_crawl_of_every_internal_link_finds_no_dead_end(base_url):
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    builder = User.objects.filter(is_staff=False, runs__isnull=False).first()
    cookie = session_cookie(builder)
    with chromium() as browser:
        anonymous, anonymous_pages = crawl(browser, base_url, None)
        signed_in, signed_in_pages = crawl(browser, base_url, cookie)
    print(f"crawl: {anonymous_pages} pages anonymous, {signed_in_pages} signed in")
    assert anonymous_pages > 15 and signed_in_pages > 15
    assert anonymous == [] and signed_in == [], "\n".join(anonymous + signed_in)


def test_the_main_pages_are_photographed_for_the_readme(world, base_url):  # noqa: F811
    cookie = session_cookie(world["ada"])
    shots = {
        "home.png": "/",
        "blueprint.png": "/blueprint/",
        "lesson.png": "/blueprint/line/",
        "challenge.png": "/challenges/line/",
        "run.png": f"/runs/{world['good'].pk}/",
        "diverged-run.png": f"/runs/{world['diverged'].pk}/",
        "lab.png": f"/lab/{world['lab']}/",
        "board-thread-card.png": f"/board/t/{world['thread'].pk}/",
    }
    with chromium() as browser:
        context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900},
                                      color_scheme="dark")
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie,
                              "url": base_url}])
        page = context.new_page()
        for name, path in shots.items():
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(SCREENSHOTS / name))
        page.set_viewport_size({"width": 360, "height": 780})
        page.goto("/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SCREENSHOTS / "home-phone.png"))
        context.close()
    for name in [*shots, "home-phone.png"]:
        assert (SCREENSHOTS / name).stat().st_size > 10_000, name
