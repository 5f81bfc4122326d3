"""The live pages in a real browser: two watchers see a run race up the board as it trains.

Real Chromium (Debian's, `apt-get install chromium`; never `playwright install`), a real
uvicorn serving the ASGI app and static files, a real Celery worker, the session's Redis.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from challenges.models import Run
from challenges.selectors.live import seq_key
from challenges.services.live import challenge_group, publish_leaderboard
from descent.live.publisher import publisher
from descent.redis import get_redis
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = settings.VAR_DIR / "test-logs"
EPOCHS = 4_000  # a few seconds: the watchers must see it grow, not only finish
WAIT_MS = 60_000
expect.set_options(timeout=15_000)  # a loaded CI machine is slower than Playwright's 5 s


def session_cookie(user) -> str:
    """Log `user` in through Django's session machinery; return the session id."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def watch(page: Page, url: str, errors: list[str]) -> Page:
    """Open `url`, collect the page's JS errors, mark the window to detect a reload."""
    page.on("pageerror", lambda error: errors.append(f"{url}: {error}"))
    page.on("console", lambda message: message.type == "error"
            # The site has no favicon; the browser's own request for one is no page error.
            and not message.location.get("url", "").endswith("/favicon.ico")
            and errors.append(f"{url}: {message.text} {message.location}"))
    page.goto(url)
    page.evaluate("window.notReloaded = true")
    return page


def fill_spec(page: Page, text: str) -> None:
    """Replace the submit page's spec as a builder types it: in the CodeMirror editor once it
    is up (the textarea it hides stays the form's field), in the textarea without it."""
    editor = page.locator("[data-spec-editor][data-ready] .cm-content")
    page.wait_for_load_state("load")
    if editor.count() == 0:
        page.fill("textarea[name='spec']", text)
        return
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def chart_number(page: Page, name: str) -> int:
    return int(page.locator("#race-chart").get_attribute(f"data-{name}"))


def wait_for_growth(page: Page, selector: str, attribute: str, above: int) -> None:
    """Wait until the number in `selector`'s attribute (or text) exceeds `above`."""
    page.wait_for_function(
        """([selector, attribute, above]) => {
             const element = document.querySelector(selector);
             if (!element) return false;
             const text = attribute ? element.getAttribute(attribute) : element.textContent;
             return Number(text) > above;
           }""",
        arg=[selector, attribute, above], timeout=WAIT_MS,
    )


def new_context(browser, base_url: str, session: str | None = None) -> BrowserContext:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    if session is not None:
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session,
                              "url": base_url}])
    return context


def test_two_browsers_watch_a_submitted_run_race_to_the_top_without_reloading():
    challenge = make_challenge(slug="live-race", title="Blobs, live")
    ada, grace = make_user("ada"), make_user("grace")
    # A rival on the board with a curve of her own: ada's run must overtake her.
    rival = make_run(challenge, grace, val_score=0.5, parameter_count=51)
    rival.history_chunks.create(attempt=rival.attempt, first_epoch=1, records=[
        {"epoch": epoch, "train_loss": 1.2 / epoch, "val_loss": 1.1 / epoch ** 0.5}
        for epoch in range(1, EPOCHS + 1, 500)
    ])
    # Two wide layers: ~1 ms an epoch, slow enough to watch.
    spec = blobs_spec(epochs=EPOCHS, optimizer={"name": "adam", "learning_rate": 0.001},
                      layers=[{"units": 64, "activation": "tanh"},
                              {"units": 64, "activation": "tanh"},
                              {"units": 3, "activation": "softmax"}])
    session = session_cookie(ada)  # the ORM, before Playwright runs its event loop here
    errors: list[str] = []
    started = time.monotonic()

    with stack.celery_worker(concurrency=1), stack.asgi_server(DEBUG="1") as (_server, port), \
            sync_playwright() as playwright:
        base_url = f"http://127.0.0.1:{port}"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        builder = new_context(browser, base_url, session)
        stranger = new_context(browser, base_url)
        watchers = [watch(builder.new_page(), "/challenges/live-race/", errors),
                    watch(stranger.new_page(), "/challenges/live-race/", errors)]

        for page in watchers:
            expect(page.locator("[data-live-state]")).to_have_text("live", timeout=WAIT_MS)
            expect(page.locator("[data-online]")).to_have_text("ONLINE 2", timeout=WAIT_MS)
            expect(page.locator("#leaderboard tr[data-user='grace']")).to_have_attribute(
                "data-rank", "1")
            expect(page.locator("#race-chart")).to_have_attribute("data-series", "1")
            expect(page.locator("[data-race-idle]")).to_be_visible()

        # Ada submits through the submit page, in a second tab: the watchers stay put.
        form = watch(builder.new_page(), "/challenges/live-race/submit/", errors)
        fill_spec(form, json.dumps(spec))
        form.click("form.submit-form button[type='submit']")
        form.wait_for_url("**/runs/*/")
        run_id = int(form.url.rstrip("/").rsplit("/", 1)[1])
        run_page = form
        run_page.evaluate("window.notReloaded = true")  # a new document: mark it too

        # The run page streams its own epochs.
        wait_for_growth(run_page, "[data-field='epochs_done']", "", 0)
        first_epochs = int(run_page.locator("[data-field='epochs_done']").text_content())
        wait_for_growth(run_page, "[data-field='epochs_done']", "", first_epochs)

        # Both watchers see a progress bar and a growing curve for the new run.
        bar = f".race-run[data-run='{run_id}']"
        for page in watchers:
            page.wait_for_selector(bar, timeout=WAIT_MS)
            expect(page.locator(bar)).to_contain_text("ada")
            expect(page.locator("#race-chart")).to_have_attribute("data-series", "2")
            points, latest = chart_number(page, "points"), chart_number(page, "latest-epoch")
            wait_for_growth(page, "#race-chart", "data-points", points)
            wait_for_growth(page, "#race-chart", "data-latest-epoch", latest)
            wait_for_growth(page, bar, "data-epoch", 0)
        assert watchers[0].locator(f"{bar} .badge.mine").count() == 1  # "you", for ada only
        assert watchers[1].locator(f"{bar} .badge.mine").count() == 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        watchers[1].screenshot(path=SCREENSHOTS / "live-race-running.png", full_page=True)

        expect(run_page.locator("#run [data-status]")).to_have_text("succeeded", timeout=WAIT_MS)
        expect(run_page.locator("[data-field='epochs_done']")).to_have_text(str(EPOCHS))
        expect(run_page.locator("[data-field='val_score']")).not_to_have_text("–")
        expect(run_page.locator("[data-field='finished_at'] time")).to_have_count(1)
        expect(run_page.locator("[data-cancel]")).to_be_hidden()
        run_page.screenshot(path=SCREENSHOTS / "live-run.png", full_page=True)

        # Ada takes first place, live: "new" for her, ▼1 for grace; the bar goes away.
        for page in watchers:
            ada_row = page.locator("#leaderboard tr[data-user='ada']")
            expect(ada_row).to_have_attribute("data-rank", "1", timeout=WAIT_MS)
            expect(ada_row).to_have_attribute("data-run", str(run_id))
            expect(ada_row.locator(".rank-move")).to_have_text("new")
            grace_row = page.locator("#leaderboard tr[data-user='grace']")
            expect(grace_row).to_have_attribute("data-rank", "2")
            expect(grace_row.locator(".rank-move")).to_have_text("▼1")
            expect(page.locator(bar)).to_have_count(0, timeout=WAIT_MS)
            expect(page.locator("[data-race-idle]")).to_be_visible()
        mine = watchers[0].locator(f"table.my-runs tr[data-run='{run_id}']")
        expect(mine.locator("[data-field='status']")).to_have_text("succeeded")

        for page in [*watchers, run_page]:
            assert page.evaluate("window.notReloaded") is True, page.url
        watchers[1].screenshot(path=SCREENSHOTS / "live-race.png", full_page=True)
        browser.close()

    assert errors == []
    run = Run.objects.get(pk=run_id)
    assert (run.owner, run.status, run.epochs_done) == (ada, "succeeded", EPOCHS)
    print(f"live browser test: {time.monotonic() - started:.1f} s")


def test_a_watcher_drops_stale_updates_resyncs_after_a_gap_and_waits_out_a_dead_server():
    challenge = make_challenge(slug="live-gap")
    make_run(challenge, make_user("grace"), val_score=0.7)
    errors: list[str] = []
    # Playwright runs an event loop in this thread: the ORM and the publisher go to another.
    elsewhere = ThreadPoolExecutor(max_workers=1)

    def in_thread(function, *args):
        return elsewhere.submit(function, *args).result(timeout=30)

    with stack.asgi_server(DEBUG="1") as (server, port), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = watch(new_context(browser, f"http://127.0.0.1:{port}").new_page(),
                     "/challenges/live-gap/", errors)
        root = page.locator("#live-challenge")
        expect(root).to_have_attribute("data-snapshots", "1", timeout=WAIT_MS)
        seq = int(root.get_attribute("data-seq"))

        # The client's own rules, in the browser that runs them.
        rules = page.evaluate("""async () => {
            const live = await import("/static/common/live.js");
            return {
              next: live.seqAction(5, 6), same: live.seqAction(5, 5), old: live.seqAction(5, 2),
              gap: live.seqAction(5, 8), first: [0, 1].map((r) => live.backoffDelay(0, () => r)),
              capped: [0, 1].map((r) => live.backoffDelay(30, () => r)),
            };
        }""")
        assert rules == {"next": "apply", "same": "drop", "old": "drop", "gap": "resync",
                         "first": [250, 500], "capped": [15_000, 30_000]}

        # A repeated seq with an empty board is dropped; the next seq is applied.
        in_thread(publisher().send_and_wait, challenge_group("live-gap"),
                  {"type": "leaderboard.update", "seq": seq, "entries": []})
        in_thread(publish_leaderboard, challenge)
        expect(root).to_have_attribute("data-seq", str(seq + 1))
        grace = page.locator("#leaderboard tr[data-user='grace']")
        expect(grace).to_have_attribute("data-rank", "1")
        expect(grace.locator(".rank-move")).to_have_count(0)  # never left the board
        assert root.get_attribute("data-snapshots") == "1"

        # A lost message (seq + 2 never sent): the next one asks for a fresh snapshot.
        in_thread(lambda: get_redis().incr(seq_key("live-gap")))
        in_thread(publish_leaderboard, challenge)
        expect(root).to_have_attribute("data-snapshots", "2", timeout=WAIT_MS)
        expect(root).to_have_attribute("data-seq", str(seq + 3))
        expect(grace).to_have_attribute("data-rank", "1")

        # Protocol 2: a newcomer above grace arrives as the one row that changed (partial),
        # which the page applies to the board it holds: grace moves down without being sent.
        in_thread(lambda: make_run(challenge, make_user("hopper"), val_score=0.9))
        in_thread(publish_leaderboard, challenge)
        expect(root).to_have_attribute("data-seq", str(seq + 4), timeout=WAIT_MS)
        expect(page.locator("#leaderboard tr[data-user='hopper']")).to_have_attribute(
            "data-rank", "1")
        expect(grace).to_have_attribute("data-rank", "2")
        assert root.get_attribute("data-snapshots") == "2"  # applied, not resynced

        # The board shows its own ONLINE badge, from /ws/presence/board/.
        page.goto("/board/")
        expect(page.locator(".site-header [data-presence]")).to_have_text("ONLINE 1",
                                                                          timeout=WAIT_MS)
        page.screenshot(path=SCREENSHOTS / "live-board.png")

        # The server goes away: the page says so and keeps trying.
        page.goto("/challenges/live-gap/")
        expect(page.locator("[data-live-state]")).to_have_text("live", timeout=WAIT_MS)
        assert errors == []  # from here on, failed reconnects are the browser's to log
        stack.stop_process(server)
        expect(page.locator("[data-live-state]")).to_contain_text("reconnecting in")
        browser.close()
    elsewhere.shutdown()
