"""A ghost race and verified entries in a real browser: race the leader from the challenge page.

Real Chromium, a real uvicorn, a real Celery worker, the session's Redis (see
test_live_browser.py for the setup).
"""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from challenges.models import RunVerification, VerificationStatus
from tests.e2e.test_live_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    WAIT_MS,
    fill_spec,
    new_context,
    session_cookie,
    watch,
)
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

EPOCHS = 3_000


def test_race_the_leader_draws_the_ghost_and_the_gap_for_racer_and_spectators():
    challenge = make_challenge(slug="ghost-browser", title="Blobs, raced")
    ada, grace, bob = make_user("ada"), make_user("grace"), make_user("bob")
    leader = make_run(challenge, grace, val_score=0.99, attempt=1)
    leader.history_chunks.create(attempt=1, first_epoch=1, records=[
        {"epoch": epoch, "train_loss": 1.2 / epoch, "val_loss": 1.1 / epoch ** 0.5}
        for epoch in range(1, EPOCHS + 1)])
    RunVerification.objects.create(
        run=leader, status=VerificationStatus.REPRODUCED, requested_at=timezone.now(),
        checked_at=timezone.now(), detail={"summary": "every value identical"})
    make_run(challenge, bob, val_score=0.5)
    spec = blobs_spec(epochs=EPOCHS, optimizer={"name": "adam", "learning_rate": 0.001},
                      layers=[{"units": 64, "activation": "tanh"},
                              {"units": 64, "activation": "tanh"},
                              {"units": 3, "activation": "softmax"}])
    session = session_cookie(ada)
    errors: list[str] = []

    with stack.celery_worker(concurrency=1), stack.asgi_server(DEBUG="1") as (_server, port), \
            sync_playwright() as playwright:
        base_url = f"http://127.0.0.1:{port}"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        spectator = watch(new_context(browser, base_url).new_page(),
                          "/challenges/ghost-browser/", errors)
        expect(spectator.locator("[data-live-state]")).to_have_text("live", timeout=WAIT_MS)
        grace_row = spectator.locator("#leaderboard tr[data-user='grace']")
        expect(grace_row.locator("[data-verification-status]")).to_have_text("reproduced ✓")
        expect(spectator.locator("#leaderboard tr[data-user='bob'] [data-field='verification']")
               ).to_have_text("–")
        expect(spectator.locator("#race-chart")).to_have_attribute("data-series", "2")

        # The verified toggle keeps grace alone, at her rank.
        verified = watch(new_context(browser, base_url).new_page(),
                         "/challenges/ghost-browser/", errors)
        verified.click("[data-verified-toggle]")
        verified.wait_for_url("**?verified=1*")
        expect(verified.locator("#leaderboard tbody tr")).to_have_count(1)
        expect(verified.locator("#leaderboard tr[data-user='grace']")).to_have_attribute(
            "data-rank", "1")

        # Ada races the leader from the challenge page.
        builder = new_context(browser, base_url, session)
        page = watch(builder.new_page(), "/challenges/ghost-browser/", errors)
        page.click("[data-race-leader]")
        page.wait_for_url(f"**/submit/?race={leader.pk}")
        expect(page.locator(f"[data-racing='{leader.pk}']")).to_contain_text("grace")
        fill_spec(page, json.dumps(spec))
        page.click("form.submit-form button[type='submit']")
        page.wait_for_url("**/runs/*/")
        run_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

        # The racer's page: the ghost dashed on the chart, the gap updating live.
        expect(page.locator("#loss-chart .u-legend")).to_contain_text(f"ghost: grace #{leader.pk}")
        gap = page.locator("[data-ghost-gap]")
        expect(gap).to_contain_text(f"vs ghost #{leader.pk}", timeout=WAIT_MS)
        page.wait_for_function("() => document.querySelector('[data-ghost-gap]').dataset"
                               ".delta !== '' && Number(document.querySelector('[data-ghost-gap]')"
                               ".dataset.epoch) > 0", timeout=WAIT_MS)

        # A spectator sees the racer's bar with the gap, and the ghost's line beside it.
        bar = spectator.locator(f".race-run[data-run='{run_id}']")
        expect(bar).to_contain_text(f"vs ghost #{leader.pk}", timeout=WAIT_MS)
        # The leaders' two curves, then ada's and ada's ghost (grace's record, replayed dashed)
        expect(spectator.locator("#race-chart")).to_have_attribute("data-series", "4",
                                                                   timeout=WAIT_MS)
        expect(spectator.locator("#race-chart .u-legend")).to_contain_text(
            f"ghost: grace #{leader.pk}")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        spectator.screenshot(path=SCREENSHOTS / "ghost-race-challenge.png", full_page=True)
        expect(page.locator("#run [data-status]")).to_have_text("succeeded", timeout=WAIT_MS)
        page.screenshot(path=SCREENSHOTS / "ghost-race-run.png", full_page=True)
        browser.close()

    assert errors == []
