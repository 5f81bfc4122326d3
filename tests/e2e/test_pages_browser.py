"""Every main page in a real browser: no sideways scroll at phone width, no emoji as icons,
the header menu, the home page's live figures, charts that teach, one socket per stream.

Real Chromium (Debian's `/usr/bin/chromium`), a real uvicorn serving the ASGI app and its
static files, the session's Redis; no worker is needed (nothing trains here).
"""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect, sync_playwright

from challenges.models import BlueprintNode
from community.attachments import attachment_clean
from community.models import Category
from community.services.notifications import notification_create
from community.services.threads import thread_create
from tests.e2e.test_live_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    new_context,
    session_cookie,
    watch,
)
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
# What the page shows, as text: every character that Unicode calls pictographic (emoji).
VISIBLE_EMOJI = "() => [...document.body.innerText.matchAll(/\\p{Extended_Pictographic}/gu)]" \
                ".map((m) => m[0])"
SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"


def finished_run(challenge, owner, history, **fields):
    run = make_run(challenge, owner, finished_at=timezone.now(), epochs_done=len(history),
                   **fields)
    run.history_chunks.create(attempt=run.attempt, first_epoch=1, records=history)
    return run


def curve(epochs, start, rate):
    return [{"epoch": e, "train_loss": start * rate ** e, "val_loss": start * 1.1 * rate ** e}
            for e in range(1, epochs + 1)]


@pytest.fixture
def world():
    """A small site: two nodes with lessons, runs (one diverged), a lab, a debrief thread."""
    first = make_challenge(slug="line", title="Fit a line", lesson="# Fit a line\n\nThe loss.")
    second = make_challenge(slug="blobs-e2e", title="Blobs")
    root = BlueprintNode.objects.create(challenge=first, title="Fit a line with MSE",
                                        summary="One linear unit.", position=1)
    BlueprintNode.objects.create(challenge=second, title="Classify blobs", position=2) \
        .prerequisites.add(root)
    ada, grace = make_user("ada"), make_user("grace")
    good = finished_run(first, ada, curve(40, 1.0, 0.93), val_score=0.91, shared=True)
    finished_run(first, grace, curve(40, 1.2, 0.95), val_score=0.85)
    # Diverged at epoch 13: finite losses exploding up to it, null after (the engine's record).
    exploding = [{"epoch": e, "train_loss": 0.7 * 30 ** (e - 1), "val_loss": 0.8 * 30 ** (e - 1)}
                 for e in range(1, 13)] + [{"epoch": 13, "train_loss": None, "val_loss": None}]
    diverged = finished_run(first, ada, exploding, status="diverged", val_score=None,
                            test_score=None, error="Training diverged in epoch 13.")
    group = uuid.uuid4()
    for rate, history, status in [(0.001, curve(60, 1.0, 0.995), "succeeded"),
                                  (0.01, curve(60, 1.0, 0.97), "succeeded"),
                                  (0.1, [{"epoch": 1, "train_loss": 3e22, "val_loss": 4.6e24}],
                                   "diverged")]:
        finished_run(first, ada, history, status=status, ranked=False, lab_group=group,
                     spec=blobs_spec(optimizer={"name": "adam", "learning_rate": rate}))
    # A transactional test flushes the data migration's categories: make the one we need.
    debriefs, _ = Category.objects.get_or_create(slug="debriefs", defaults={"name": "Debriefs"})
    thread, _post = thread_create(
        author=ada, category=debriefs, title="Adam at 0.01 won",
        body="Here is my run.",
        attachments_cleaned={"run": attachment_clean(key="run", value=good.pk, user=ada)})
    return {"ada": ada, "good": good, "diverged": diverged, "lab": group, "thread": thread}


def no_sideways_scroll_and_no_emoji(page: Page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert page.evaluate(SIDEWAYS) <= 0, f"{path} scrolls sideways at {page.viewport_size}"
    assert page.evaluate(VISIBLE_EMOJI) == [], path


def test_every_main_page_fits_a_phone_without_sideways_scroll_or_emoji(world):
    session = session_cookie(world["ada"])
    errors: list[str] = []
    pages = ["/", "/challenges/", "/challenges/line/", f"/runs/{world['good'].pk}/",
             f"/runs/{world['diverged'].pk}/", "/blueprint/", "/blueprint/line/", "/board/",
             f"/board/t/{world['thread'].pk}/", "/glossary/", "/faq/", f"/lab/{world['lab']}/"]
    with stack.asgi_server(DEBUG="1") as (_server, port), sync_playwright() as playwright:
        base_url = f"http://127.0.0.1:{port}"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for cookie in [None, session]:  # anonymous, then signed in
            context = new_context(browser, base_url, cookie)
            page = watch(context.new_page(), "/", errors)
            page.set_viewport_size(PHONE)
            for path in [*pages, *(["/accounts/login/"] if cookie is None else [])]:
                no_sideways_scroll_and_no_emoji(page, path)
            context.close()
        browser.close()
    assert errors == []


def test_the_header_collapses_into_a_menu_button_that_opens_and_closes_by_keyboard(world):
    errors: list[str] = []
    with stack.asgi_server(DEBUG="1") as (_server, port), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = watch(new_context(browser, f"http://127.0.0.1:{port}").new_page(), "/", errors)
        page.set_viewport_size(PHONE)
        menu, toggle = page.locator("#site-menu"), page.locator("[data-menu-toggle]")
        expect(page.locator(".site-header[data-menu-ready]")).to_have_count(1)
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(menu).to_be_hidden()
        toggle.focus()
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(menu.get_by_role("link", name="Blueprint")).to_be_visible()
        assert page.evaluate(SIDEWAYS) <= 0
        page.screenshot(path=SCREENSHOTS / "menu-360.png")
        page.keyboard.press("Escape")
        expect(menu).to_be_hidden()
        expect(toggle).to_be_focused()
        page.set_viewport_size(DESKTOP)  # wide: no button, the links are the header
        expect(toggle).to_be_hidden()
        expect(menu.get_by_role("link", name="Blueprint")).to_be_visible()
        browser.close()
    assert errors == []


def test_the_home_page_shows_live_figures_at_desktop_and_phone_width(world):
    errors: list[str] = []
    with stack.asgi_server(DEBUG="1") as (_server, port), sync_playwright() as playwright:
        base_url = f"http://127.0.0.1:{port}"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = new_context(browser, base_url)
        home = watch(context.new_page(), "/", errors)
        for figure in ["online", "running", "queued", "challenges_open"]:
            expect(home.locator(f"[data-figure='{figure}']")).to_have_text(re.compile(r"^\d+$"))
        expect(home.locator("[data-figure='challenges_open']")).to_have_text("2")
        expect(home.locator("[data-moves] .move")).to_have_count(2)  # ada #1, grace #2
        expect(home.locator("[data-debriefs] .debrief")).to_contain_text(["Adam at 0.01 won"])
        expect(home.locator("[data-start-here]")).to_have_attribute("href", "/blueprint/line/")
        expect(home.locator(".ticker")).to_contain_text("OPTIMIZE /// GRADIENT DESCENT")
        assert home.evaluate(SIDEWAYS) <= 0
        home.screenshot(path=SCREENSHOTS / "home-1280.png", full_page=True)

        # The home page is a presence room of its own: this tab counts once...
        expect(home.locator("[data-figure='online']")).to_have_text("1", timeout=20_000)
        # ...and a builder who opens the board (another room) is counted at the next poll.
        watch(context.new_page(), "/board/", errors)
        expect(home.locator("[data-figure='online']")).to_have_text("2", timeout=20_000)
        polled = re.compile(r"^[1-9]\d*$")
        expect(home.locator("#home-live")).to_have_attribute("data-polls", polled)

        home.set_viewport_size(PHONE)
        home.reload()
        expect(home.locator("[data-figure='online']")).to_be_visible()
        assert home.evaluate(SIDEWAYS) <= 0
        assert home.evaluate(VISIBLE_EMOJI) == []
        home.screenshot(path=SCREENSHOTS / "home-360.png", full_page=True)
        browser.close()
    assert errors == []


def painted(page: Page, selector: str, colour_var: str | None = None) -> int:
    """Count the painted pixels of the chart canvas in `selector` (of one colour, if named)."""
    return page.evaluate("""([selector, colourVar]) => {
        const canvas = document.querySelector(`${selector} canvas`);
        const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        let want = null;
        if (colourVar) {
          const probe = document.createElement("span");
          probe.style.color = `var(${colourVar})`;
          document.body.append(probe);
          want = getComputedStyle(probe).color.match(/\\d+/g).map(Number);
          probe.remove();
        }
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3] < 200) continue;
          if (want && Math.abs(data[i] - want[0]) + Math.abs(data[i + 1] - want[1])
              + Math.abs(data[i + 2] - want[2]) > 30) continue;
          count += 1;
        }
        return count;
    }""", [selector, colour_var])


def test_a_diverged_run_draws_its_explosion_with_the_blow_up_marked(world):
    errors: list[str] = []
    run = world["diverged"]
    with stack.asgi_server(DEBUG="1") as (_server, port), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = watch(new_context(browser, f"http://127.0.0.1:{port}").new_page(),
                     f"/runs/{run.pk}/", errors)
        chart = page.locator("#loss-chart")
        expect(chart).to_have_attribute("data-diverged-at", "13")
        expect(page.locator("[data-chart-note]")).to_contain_text("Diverged at epoch 13")
        # The validation line (drawn over the train line, a few pixels apart on 16 decades).
        assert painted(page, "#loss-chart", "--series-2") > 200
        assert painted(page, "#loss-chart", "--danger") > 100  # the blow-up marker and label
        chart.hover(position={"x": 200, "y": 120})  # the legend shows exact values on hover
        expect(page.locator(".u-legend .u-series").nth(1)).not_to_contain_text("–")
        page.screenshot(path=SCREENSHOTS / "run-diverged.png", full_page=True)

        # The lab: the ×10 run's 4.6e24 sits on the top edge; the axis stays near the others.
        page.goto(f"/lab/{world['lab']}/")
        lab = page.locator("#lab-chart")
        expect(lab).to_have_attribute("data-clipped", "1")
        expect(page.locator("[data-chart-note]")).to_contain_text("4.60e+24")
        assert float(lab.get_attribute("data-y-max")) <= 10
        assert painted(page, "#lab-chart", "--series-1") > 200
        assert painted(page, "#lab-chart", "--series-2") > 200
        page.screenshot(path=SCREENSHOTS / "lab-clipped.png", full_page=True)
        browser.close()
    assert errors == []


def test_two_widgets_on_one_stream_share_one_socket(world):
    ada = world["ada"]
    session = session_cookie(ada)
    errors: list[str] = []
    elsewhere = ThreadPoolExecutor(max_workers=1)  # the ORM, off Playwright's event loop
    with stack.asgi_server(DEBUG="1") as (_server, port), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = new_context(browser, f"http://127.0.0.1:{port}", session).new_page()
        sockets: list[str] = []
        page.on("websocket", lambda socket: sockets.append(socket.url))
        watch(page, "/blueprint/", errors)  # the bell and the map both watch notifications
        expect(page.locator("[data-live-state]")).to_have_text("· live")
        assert page.locator("[data-bell]").count() == 1 and page.locator("#blueprint").count()

        # One notification: the bell shows it and the map refetches, from the one socket.
        with page.expect_request("**/api/blueprint/"):
            elsewhere.submit(notification_create, recipient=ada, kind="node.opened",
                             text="Classify blobs is open", url="/blueprint/").result(30)
        expect(page.locator("[data-bell-count]")).to_have_text("1")
        expect(page.locator("[data-bell-list]")).to_contain_text("Classify blobs is open")
        assert [url for url in sockets if url.endswith("/ws/notifications/")] == [
            f"ws://127.0.0.1:{port}/ws/notifications/"]
        browser.close()
    elsewhere.shutdown()
    assert errors == []
