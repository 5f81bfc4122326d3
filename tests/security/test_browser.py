"""In real Chromium: every main page works under the Content-Security-Policy, and the XSS
corpus, posted everywhere a builder can write, never runs.

The XSS pass serves the policy as *report-only* (CSP_REPORT_ONLY=1): the browser then runs
whatever the sanitiser let through, so a payload that escaped would fire its dialog or set
`window.__xss` — the check proves the escaping itself, not just the policy in front of it.
"""

from __future__ import annotations

import math

import pytest
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from challenges.models import BlueprintNode
from community.models import Category, User
from community.services.posts import post_create
from community.services.threads import thread_create
from tests.community.xss_payloads import PAYLOADS
from tests.e2e.test_live_browser import CHROMIUM, CHROMIUM_ARGS, new_context, session_cookie
from tests.support import stack
from tests.support.factories import make_challenge, make_run, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

# Collected in the page from the first script on: every CSP violation, and the payloads' flag.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(
    `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""
THREADS_PER_PAGE, POSTS_PER_PAGE, MY_RUNS_SHOWN = 25, 50, 20


def flagging(payload: str) -> str:
    """The payload, with each alert also setting window.__xss (a dialog may be swallowed)."""
    return payload.replace("alert(", "(window.__xss=1)&&alert(")


CORPUS = PAYLOADS + [flagging(p) for p in PAYLOADS if "alert(" in p]


def category() -> Category:
    return Category.objects.get_or_create(slug="debriefs", defaults={"name": "Debriefs"})[0]


def visit_all(page, paths: list[str], problems: list[str]) -> None:
    for path in paths:
        response = page.goto(path)
        try:
            page.wait_for_load_state("networkidle", timeout=20_000)
        except PlaywrightTimeout:
            problems.append(f"{path}: the network never went quiet (a reconnect loop?)")
        if response is None or response.status >= 400:
            problems.append(f"{path}: HTTP {response.status if response else '?'}")
        for violation in page.evaluate("window.__violations || []"):
            problems.append(f"{path}: CSP {violation}")
        if page.evaluate("window.__xss === 1"):
            problems.append(f"{path}: a payload ran (window.__xss)")


def watch_page(page, problems: list[str]) -> None:
    """Record every dialog (dismissed), page error and console error of `page`."""
    def on_dialog(dialog) -> None:
        problems.append(f"{page.url}: a {dialog.type} opened: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    page.on("console", lambda message: message.type == "error" and problems.append(
        f"{page.url}: console: {message.text}"))


def browse(port: int, users: list, paths: list[str]) -> list[str]:
    """Visit `paths` as each of `users` (None: anonymous); return what went wrong."""
    problems: list[str] = []
    # Sessions first: Playwright's sync API runs an event loop, where Django may not query.
    cookies = [session_cookie(user) if user is not None else None for user in users]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for cookie in cookies:
            context = new_context(browser, f"http://127.0.0.1:{port}", cookie)
            context.add_init_script(RECORD_VIOLATIONS)
            page = context.new_page()
            watch_page(page, problems)
            visit_all(page, paths, problems)
            context.close()
        browser.close()
    return problems


def test_every_main_page_works_under_the_content_security_policy():
    challenge = make_challenge(slug="csp", lesson="# A lesson\n\nThe loss $L = (y - \\hat y)^2$.")
    BlueprintNode.objects.create(challenge=challenge, title="CSP node", position=1)
    owner = make_user("cspowner")
    staff = User.objects.create_superuser("cspstaff", password="a-long-test-password-1")
    run = make_run(challenge, owner, finished_at=timezone.now(), epochs_done=2)
    run.history_chunks.create(attempt=run.attempt, first_epoch=1, records=[
        {"epoch": 1, "train_loss": 1.0, "val_loss": 1.1}, {"epoch": 2, "train_loss": 0.5,
                                                          "val_loss": 0.6}])
    thread, _post = thread_create(author=owner, category=category(), title="Hello",
                                  body="Some **Markdown** and `code`.")
    public = ["/", "/challenges/", "/challenges/csp/", f"/runs/{run.pk}/", "/blueprint/",
              "/blueprint/csp/", "/board/", f"/board/t/{thread.pk}/", "/glossary/", "/faq/",
              "/u/cspowner/", "/api/docs/"]
    signed_in = [*public, "/challenges/csp/submit/", "/challenges/csp/lab/", "/board/new/",
                 "/notifications/", "/accounts/password/change/"]
    with stack.asgi_server(DEBUG="1") as (_server, port):
        problems = browse(port, [None], [*public, "/accounts/login/", "/accounts/signup/",
                                         "/accounts/password/reset/"])
        problems += browse(port, [owner], signed_in)
        problems += browse(port, [staff], ["/admin/", "/admin/challenges/run/",
                                           f"/admin/challenges/run/{run.pk}/change/"])
    assert problems == []


def test_the_xss_corpus_never_runs_in_a_browser():
    """Thread titles and bodies, replies, run notes and (made before the rule) usernames."""
    author = make_user("xssauthor")
    debriefs = category()
    titles = [p for p in CORPUS if len(p) <= 200]
    threads = [thread_create(author=author, category=debriefs, title=title, body=title)[0]
               for title in titles]
    holder, _ = thread_create(author=author, category=debriefs, title="replies", body="x")
    for body in CORPUS:
        post_create(thread=holder, author=author, body=body)
    # Usernames: the sign-up rule refuses markup now, so only accounts older than the rule
    # could have one; their names must still be escaped wherever they are shown.
    odd = [User.objects.create_user(username=p[:150], password="x")
           for p in CORPUS[:40] if p[:150].strip()]
    for user in odd:
        post_create(thread=threads[0], author=user, body="a reply from an odd name")
    # Run notes, shown to their owner on the challenge page (20 a page) and each run page.
    notes = [p[:500] for p in CORPUS]
    challenges = [make_challenge() for _ in range(math.ceil(len(notes) / MY_RUNS_SHOWN))]
    runs = [make_run(challenges[i // MY_RUNS_SHOWN], author, note=note)
            for i, note in enumerate(notes)]
    paths = [f"/board/?page={n}"
             for n in range(1, math.ceil((len(threads) + 1) / THREADS_PER_PAGE) + 1)]
    paths += [f"/board/t/{holder.pk}/?page={n}"
              for n in range(1, math.ceil((len(CORPUS) + 1) / POSTS_PER_PAGE) + 1)]
    paths += [f"/board/t/{threads[0].pk}/", "/", f"/u/{author.username}/",
              *[f"/board/t/{t.pk}/" for t in threads[:: max(1, len(threads) // 15)]],
              *[f"/challenges/{c.slug}/" for c in challenges],
              *[f"/runs/{r.pk}/" for r in runs[:: max(1, len(runs) // 15)]]]
    with stack.asgi_server(DEBUG="1", CSP_REPORT_ONLY="1") as (_server, port):
        problems = browse(port, [author], paths)
    # Report-only: a violation here is something the page tried to run or load — only the
    # board's own https images may load (the sanitiser keeps http(s) images).
    ran = [p for p in problems if "script-src" in p or "__xss" in p or "opened" in p]
    assert ran == [], ran[:20]
    assert not [p for p in problems if "HTTP" in p]
    print(f"XSS corpus: {len(CORPUS)} payloads, {len(paths)} pages, {len(odd)} odd names, "
          f"{len(runs)} run notes; nothing ran")
