"""The journeys a new builder takes, in a real browser, on one stack for the whole module.

Accounts (sign up, log out, log in, a password reset read from the console mail, each
returning to the page it started from); the spec editor (CodeMirror: JSON linting, the
server's field errors drawn at their line, a plain textarea without JavaScript); a debrief
(run page → "Debrief this run" → thread with the run card → reply, vote, fork, submit the
fork); the board index hearing of a new thread live; notification settings; the blueprint
path (a lesson, its careless spec diverging on the run page, the snippet that fixes it, the
quiz, the next node opening on the map without a reload, with a real Celery worker); staff
creating and publishing a challenge in the admin and disqualifying its leader while a
spectator's board changes live.

Real Chromium (Debian's `/usr/bin/chromium`), one real uvicorn for the module serving the
ASGI app and its static files under the site's Content-Security-Policy, the session's Redis.
Every page's console errors are collected (a CSP violation is one) and must stay empty.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect, sync_playwright

from challenges.models import BlueprintNode, Challenge, Run
from challenges.services.live import publish_leaderboard
from community.models import Category, NotificationMute, Thread, User
from community.services.threads import thread_create
from tests.e2e.test_live_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WAIT_MS,
    new_context,
    session_cookie,
    watch,
)
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password-1"  # tests.support.factories.make_user's


SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


@dataclass
class Site:
    base_url: str
    log: Path


@pytest.fixture(scope="module")
def site(django_db_setup) -> Iterator[Site]:
    """One uvicorn for every test of the module (each test's data is its own)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with stack.asgi_server(DEBUG="1") as (_process, port):
        yield Site(base_url=f"http://127.0.0.1:{port}",
                   log=settings.VAR_DIR / "test-logs" / f"uvicorn-{port}.log")


@contextmanager
def chromium() -> Iterator[Browser]:
    """Start Chromium once the test's data is made (Django's ORM refuses Playwright's loop)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def in_thread(function, *args, **kwargs):
    """Run Django ORM work off Playwright's event-loop thread (Django refuses it there)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def finished_run(challenge, owner, **fields) -> Run:
    history = [{"epoch": e, "train_loss": 0.9 ** e, "val_loss": 0.95 ** e} for e in range(1, 21)]
    run = make_run(challenge, owner, finished_at=timezone.now(), epochs_done=20,
                   val_loss=history[-1]["val_loss"], **fields)
    run.history_chunks.create(attempt=run.attempt, first_epoch=1, records=history)
    return run


def test_sign_up_log_out_log_in_and_reset_the_password_each_back_where_you_were(site):
    errors: list[str] = []
    with chromium() as browser:
        context = new_context(browser, site.base_url)
        page = watch(context.new_page(), "/glossary/", errors)

        page.locator(".site-header").get_by_role("link", name="Sign up").click()
        expect(page).to_have_url(re.compile(r"/accounts/signup/\?next=/glossary/$"))
        page.fill("input[name=username]", "newcomer")
        page.fill("input[name=email]", "newcomer@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(page).to_have_url(f"{site.base_url}/glossary/")
        expect(page.locator(".site-user")).to_contain_text("newcomer")

        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(f"{site.base_url}/glossary/")
        page.locator(".site-header").get_by_role("link", name="Log in").click()
        page.fill("input[name=username]", "newcomer")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{site.base_url}/glossary/")
        page.get_by_role("button", name="Log out").click()

        # Forgotten password: the mail goes to the server's console (its log here).
        page.goto("/accounts/login/")
        page.get_by_role("link", name="Forgot your password?").click()
        page.fill("input[name=email]", "newcomer@example.com")
        page.get_by_role("button", name="Send the link").click()
        expect(page).to_have_url(re.compile(r"/accounts/password/reset/sent/$"))
        link = None
        for _ in range(50):
            found = re.findall(r"https?://[^\s]+/accounts/reset/[^\s]+/", site.log.read_text())
            if found:
                link = found[-1]
                break
            page.wait_for_timeout(100)
        assert link, "no reset link in the console mail"
        page.goto(link)
        page.fill("input[name=new_password1]", "an-even-longer-password-2")
        page.fill("input[name=new_password2]", "an-even-longer-password-2")
        page.get_by_role("button", name="Set password").click()
        expect(page).to_have_url(re.compile(r"/accounts/reset/done/$"))
        page.goto("/accounts/login/?next=/blueprint/")
        page.fill("input[name=username]", "newcomer")
        page.fill("input[name=password]", "an-even-longer-password-2")
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{site.base_url}/blueprint/")
        context.close()
        assert errors == []


def set_editor_text(page: Page, text: str) -> None:
    content = page.locator("[data-spec-editor] .cm-content")
    content.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def test_the_spec_editor_lints_json_and_draws_the_servers_errors_at_their_line(site):
    challenge = make_challenge(slug="editor")
    ada = make_user("ada")
    errors: list[str] = []
    ada_cookie = session_cookie(ada)
    with chromium() as browser:
        context = new_context(browser, site.base_url, ada_cookie)
        page = watch(context.new_page(), "/challenges/editor/submit/", errors)
        editor = page.locator("[data-spec-editor][data-ready]")
        expect(editor).to_be_visible()
        expect(page.locator("textarea[name=spec]")).to_be_hidden()

        # Broken JSON is flagged while typing, before anything is sent.
        set_editor_text(page, '{"layers": [')
        expect(editor).not_to_have_attribute("data-diagnostics", "0", timeout=5_000)

        # Two output units for three classes: the server names layers[1].units ...
        wrong = blobs_spec(layers=[{"units": 8, "activation": "relu"},
                                   {"units": 2, "activation": "softmax"}])
        set_editor_text(page, json.dumps(wrong, indent=2))
        expect(editor).to_have_attribute("data-diagnostics", "0")
        page.get_by_role("button", name="Train it").click()
        listed = page.locator(".spec-errors [data-spec-path='layers[1].units']")
        expect(listed).to_be_visible()
        # ... and the editor marks the offending value on its line.
        marked = page.locator("[data-spec-editor] .cm-lintRange-error")
        expect(marked.first).to_have_text("2")
        line = page.locator("[data-spec-editor] .cm-line", has=page.locator(".cm-lintRange-error"))
        expect(line).to_contain_text('"units": 2')
        page.emulate_media(color_scheme="dark")
        page.screenshot(path=str(SCREENSHOTS / "editor-errors.png"), full_page=False)

        # Fixed, it trains: the editor's text is what the form posts.
        set_editor_text(page, json.dumps(blobs_spec(epochs=3), indent=2))
        page.get_by_role("button", name="Train it").click()
        expect(page).to_have_url(re.compile(r"/runs/\d+/$"))
        run = in_thread(lambda: Run.objects.get(owner__username="ada", challenge=challenge))
        assert run.spec["epochs"] == 3
        context.close()
        # The refused spec's page answers 400 on purpose; the browser logs that status.
        assert [e for e in errors if "status of 400 (Bad Request)" not in e] == []

        # Without JavaScript the same page is a plain textarea that works.
        plain = browser.new_context(base_url=site.base_url, java_script_enabled=False)
        plain.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": ada_cookie,
                            "url": site.base_url}])
        page = plain.new_page()
        page.goto("/challenges/editor/submit/")
        page.fill("textarea[name=spec]", json.dumps(wrong))
        page.get_by_role("button", name="Train it").click()
        expect(page.locator(".spec-errors [data-spec-path='layers[1].units']")).to_be_visible()
        plain.close()


def test_a_debrief_from_the_run_page_is_replied_voted_forked_and_the_fork_submitted(site):
    challenge = make_challenge(slug="debrief-e2e", title="Debrief blobs")
    Category.objects.get_or_create(slug="debriefs", defaults={"name": "Debriefs"})
    ada, grace = make_user("ada"), make_user("grace")
    run = finished_run(challenge, ada, spec=blobs_spec(epochs=11))
    errors: list[str] = []

    ada_cookie = session_cookie(ada)
    grace_cookie = session_cookie(grace)
    with chromium() as browser:
        author = new_context(browser, site.base_url, ada_cookie)
        page = watch(author.new_page(), f"/runs/{run.pk}/", errors)
        page.get_by_role("link", name="Debrief this run").click()
        expect(page).to_have_url(re.compile(rf"/board/new/\?run={run.pk}&category=debriefs$"))
        picker = page.get_by_label("Attach a run")
        expect(picker).to_have_value(str(run.pk))
        expect(page.locator("form.card")).to_contain_text("attaching makes the run's spec public")
        expect(page.get_by_label("Title")).to_have_value(f"Debrief: run #{run.pk}")
        page.get_by_label("Body").fill("Adam at 0.05 and **11 epochs**.")
        page.get_by_role("button", name="Post").click()
        expect(page).to_have_url(re.compile(r"/board/t/\d+/$"))
        expect(page.locator(f".run-card[data-run='{run.pk}']")).to_be_visible()
        thread_url = page.url
        page.emulate_media(color_scheme="dark")
        page.screenshot(path=str(SCREENSHOTS / "board-thread.png"), full_page=True)

        reader = new_context(browser, site.base_url, grace_cookie)
        other = watch(reader.new_page(), thread_url, errors)
        other.get_by_label("Reply").fill("Try momentum next.")
        other.get_by_role("button", name="Reply").click()
        expect(other.locator(".post").last).to_contain_text("Try momentum next.")
        other.locator(".post").first.get_by_role("button", name="Vote up").click()
        expect(other.locator(".post").first.get_by_role("button", name="Vote up")) \
            .to_have_attribute("aria-pressed", "true")
        other.locator(f".run-card[data-run='{run.pk}']").get_by_role(
            "link", name="Fork this config").click()
        expect(other).to_have_url(re.compile(rf"/submit/\?fork={run.pk}$"))
        expect(other.locator("[data-spec-editor][data-ready]")).to_be_visible()
        expect(other.locator("[data-spec-editor] .cm-content")).to_contain_text('"epochs": 11')
        other.get_by_role("button", name="Train it").click()
        expect(other).to_have_url(re.compile(r"/runs/\d+/$"))
        fork = in_thread(lambda: Run.objects.get(owner__username="grace"))
        assert fork.forked_from_id == run.pk
        author.close()
        reader.close()
        assert errors == []


def test_the_board_index_counts_new_threads_live_and_shows_them_on_click(site):
    help_, _ = Category.objects.get_or_create(slug="help", defaults={"name": "Help"})
    ada, grace = make_user("ada"), make_user("grace")
    errors: list[str] = []
    ada_cookie = session_cookie(ada)
    with chromium() as browser:
        context = new_context(browser, site.base_url, ada_cookie)
        page = watch(context.new_page(), "/board/", errors)
        expect(page.locator(".site-header [data-presence]")).to_contain_text("ONLINE")
        notice = page.locator("[data-new-threads] a")
        expect(notice).to_be_hidden()

        in_thread(thread_create, author=grace, category=help_, title="NaN at epoch 3", body="lr 10")
        expect(notice).to_have_text("1 new thread: “NaN at epoch 3” — show it")
        in_thread(thread_create, author=grace, category=help_, title="Why ReLU", body="?")
        expect(notice).to_have_text("2 new threads — show them")
        assert page.evaluate("window.notReloaded") is True
        notice.click()
        expect(page.locator("table.threads")).to_contain_text("Why ReLU")
        context.close()
        assert errors == []


def test_notification_settings_mute_my_run_finished(site):
    ada = make_user("ada")
    errors: list[str] = []
    ada_cookie = session_cookie(ada)
    with chromium() as browser:
        context = new_context(browser, site.base_url, ada_cookie)
        page = watch(context.new_page(), "/notifications/", errors)
        page.get_by_role("link", name="Notification settings").click()
        box = page.get_by_role("checkbox", name=re.compile("My run finished"))
        expect(box).to_be_checked()
        box.uncheck()
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".messages")).to_contain_text("Notification settings saved.")
        expect(page.get_by_role("checkbox", name=re.compile("My run finished"))) \
            .not_to_be_checked()
        assert in_thread(lambda: list(NotificationMute.objects.filter(user__username="ada")
                                      .values_list("kind", flat=True))) == ["run.finished"]
        context.close()
        assert errors == []


def test_times_read_relative_with_the_exact_local_time_on_hover(site):
    Category.objects.get_or_create(slug="help", defaults={"name": "Help"})
    grace = make_user("grace")
    thread, _ = thread_create(author=grace, category=Category.objects.get(slug="help"),
                              title="Old thread", body="x")
    Thread.objects.filter(pk=thread.pk).update(
        last_post_at=timezone.now() - timezone.timedelta(hours=3))
    with chromium() as browser:
        context = browser.new_context(base_url=site.base_url, timezone_id="Asia/Tokyo",
                                           locale="en-GB")
        page = context.new_page()
        page.goto("/board/")
        when = page.locator("table.threads time[data-relative]").first
        expect(when).to_have_text("3 hours ago")
        assert "GMT+9" in when.get_attribute("title") or "JST" in when.get_attribute("title")
        context.close()




def test_the_blueprint_path_lesson_careless_run_the_fix_the_quiz_and_the_next_node_opens_live(
        site):
    call_command("seed_demo", stdout=io.StringIO())
    first = BlueprintNode.objects.select_related("challenge").order_by("position").first()
    following = BlueprintNode.objects.filter(prerequisites=first).select_related("challenge") \
        .first()
    answers = {f"q-{q.key}": q.choices.get(correct=True).key for q in first.questions.all()}
    learner = make_user("learner")
    learner_cookie = session_cookie(learner)
    errors: list[str] = []
    with stack.celery_worker(), chromium() as browser:
        context = new_context(browser, site.base_url, learner_cookie)
        path_page = watch(context.new_page(), "/blueprint/", errors)
        next_card = path_page.locator(f"[data-node-card='{following.slug}']")
        expect(next_card).to_have_class(re.compile("state-locked"))

        page = watch(context.new_page(), f"/blueprint/{first.slug}/", errors)
        expect(page.locator("article.lesson .katex").first).to_be_visible()
        # The careless spec the lesson warns about: it trains live and misses the threshold.
        page.get_by_role("button", name="Submit it and see").click()
        expect(page).to_have_url(re.compile(r"/runs/\d+/$"))
        expect(page.locator("[data-status-badge]")).to_contain_text("succeeded",
                                                                    timeout=WAIT_MS)
        expect(page.locator("#loss-chart canvas").first).to_be_visible()

        # The lesson's snippet is the fix: it trains and meets the threshold.
        page.goto(f"/blueprint/{first.slug}/")
        page.get_by_role("button", name="Try it: submit this spec").click()
        expect(page).to_have_url(re.compile(r"/runs/\d+/$"))
        expect(page.locator("[data-status-badge]")).to_contain_text("succeeded",
                                                                    timeout=WAIT_MS)

        # The quiz, answered right, clears the node; the open map unlocks the next one live.
        page.goto(f"/blueprint/{first.slug}/#quiz")
        for name, value in answers.items():
            page.locator(f"input[name='{name}'][value='{value}']").check()
        page.get_by_role("button", name="Check my answers").click()
        expect(page.locator("#quiz [role=status]")).to_contain_text("Node cleared!")
        expect(next_card).not_to_have_class(re.compile("state-locked"), timeout=WAIT_MS)
        assert path_page.evaluate("window.notReloaded") is True

        # Later on the path, the learning-rate lesson's careless spec (its starter) diverges:
        # the run page draws the loss exploding up to the blow-up and marks it, live.
        page.goto("/challenges/learning-rate/submit/")
        page.get_by_role("button", name="Train it").click()
        expect(page).to_have_url(re.compile(r"/runs/\d+/$"))
        expect(page.locator("[data-status-badge]")).to_contain_text("diverged",
                                                                    timeout=WAIT_MS)
        expect(page.locator("#loss-chart")).not_to_have_attribute("data-diverged-at", "")
        expect(page.locator("[data-chart-note]")).to_contain_text("Diverged at epoch")
        context.close()
    assert errors == []


def fill_admin(page: Page, field: str, value: str) -> None:
    control = page.locator(f"[name='{field}']")
    if control.evaluate("(e) => e.tagName") == "SELECT":
        control.select_option(value)
    else:
        control.fill(value)


def test_staff_create_publish_and_disqualify_while_a_spectator_watches_the_board(site):
    staff = User.objects.create_superuser(username="staffer", password=PASSWORD)
    ada, grace = make_user("ada"), make_user("grace")
    staff_cookie = session_cookie(staff)
    errors: list[str] = []
    with chromium() as browser:
        admin = new_context(browser, site.base_url, staff_cookie).new_page()
        admin.goto("/admin/challenges/challenge/add/")
        for field, value in {"title": "Moons", "status": "draft",
                             "lesson": "# Moons", "dataset": "moons", "dataset_params": "{}",
                             "dataset_seed": "0", "metric": "accuracy",
                             "max_parameters": "1000", "max_epochs": "100",
                             "max_work": "1000000000", "time_limit_seconds": "60",
                             "daily_quota": "10", "starter_spec": "{}"}.items():
            fill_admin(admin, field, value)
        expect(admin.locator("[name=slug]")).to_have_value("moons")  # prepopulated from the title
        admin.locator("input[name=_save]").click()
        expect(admin.locator(".messagelist")).to_contain_text("was added successfully")

        # A draft is nobody's page; published, anyone can watch it.
        spectator = watch(new_context(browser, site.base_url).new_page(), "/challenges/", errors)
        expect(spectator.locator("main")).not_to_contain_text("Moons")
        admin.goto("/admin/challenges/challenge/")
        admin.locator("tr", has_text="Moons").locator("input.action-select").check()
        admin.locator("select[name=action]").select_option("publish")
        admin.get_by_role("button", name="Go").click()
        expect(admin.locator(".messagelist")).to_be_visible()
        spectator.goto("/challenges/moons/")
        spectator.evaluate("window.notReloaded = true")
        expect(spectator.locator("[data-live-state]")).to_have_text("live")

        # Two runs rank; the spectator's board shows them without a reload.
        challenge = in_thread(lambda: Challenge.objects.get(slug="moons"))
        cheat = in_thread(make_run, challenge, ada, val_score=0.99)
        in_thread(make_run, challenge, grace, val_score=0.9)
        in_thread(publish_leaderboard, challenge)
        leader = spectator.locator("#leaderboard tr[data-user='ada']")
        expect(leader).to_have_attribute("data-rank", "1", timeout=WAIT_MS)

        # Staff disqualify the leader with a reason: the board drops it live.
        admin.goto("/admin/challenges/run/")
        admin.locator(f"tr:has(input.action-select[value='{cheat.pk}'])") \
            .locator("input.action-select").check()
        admin.locator("select[name=action]").select_option("disqualify")
        admin.get_by_role("button", name="Go").click()
        admin.fill("[name=reason]", "Trained on the test split.")
        admin.locator("[name=apply]").click()
        expect(leader).to_have_count(0, timeout=WAIT_MS)
        expect(spectator.locator("#leaderboard tr[data-user='grace']")) \
            .to_have_attribute("data-rank", "1")
        assert spectator.evaluate("window.notReloaded") is True
    assert errors == []
