"""The server-rendered pages: who sees what, and submitting through the page (no worker)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from challenges.models import Challenge, Run, RunStatus
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_list_shows_published_and_closed_challenges_but_never_drafts():
    make_challenge(slug="open-one", title="Open one")
    make_challenge(slug="secret", title="Secret draft", status=Challenge.Status.DRAFT)
    page = client_for().get("/challenges/").content.decode()
    assert "Open one" in page
    assert "Secret draft" not in page
    assert "Secret draft" in client_for(make_user(staff=True)).get("/challenges/").content.decode()


def test_drafts_are_404_on_every_page_for_non_staff_and_open_for_staff():
    draft = make_challenge(slug="draft", status=Challenge.Status.DRAFT)
    owner, staff = make_user(), make_user(staff=True)
    run = make_run(draft, owner)
    for path in ["/challenges/draft/", "/challenges/draft/submit/", f"/runs/{run.pk}/"]:
        assert client_for(owner).get(path).status_code == 404, path
        assert client_for(staff).get(path).status_code == 200, path
    assert client_for().get("/challenges/draft/").status_code == 404


def test_the_challenge_page_shows_lesson_data_leaderboard_and_tie_rule():
    challenge = make_challenge(slug="blobs-page", lesson="# Hello\n\n<script>x()</script> **bold**")
    make_run(challenge, make_user("ada"), val_score=0.93, parameter_count=51)
    page = client_for().get("/challenges/blobs-page/").content.decode()
    assert "<h1>Hello</h1>" in page and "<strong>bold</strong>" in page
    assert "<script>x()</script>" not in page  # the lesson is rendered safe
    assert "360 train · 120 validation · 120 test" in page
    assert "data:image/png;base64," in page  # 2-D data gets a scatter picture
    assert "ada" in page and "0.9300" in page
    assert "Ties: better score, then fewer parameters, then earlier submission." in page
    assert "My runs" not in page  # anonymous


TEX_LESSON = ("# Steps\n\nThe rate $\\alpha$ sets the step:\n\n"
              "$$w \\leftarrow w - \\alpha \\, \\nabla J(w)$$\n\nand $a \\; b_i \\, c_i$ too.\n")
KATEX = ["vendor/katex/katex.min.css", "vendor/katex/katex.min.js",
         "vendor/katex/contrib/auto-render.min.js", "challenges/math.js"]


def test_the_challenge_page_renders_its_lesson_with_the_lesson_renderer_and_katex():
    from challenges.lessons import render_lesson

    make_challenge(slug="tex-page", lesson=TEX_LESSON)
    page = client_for().get("/challenges/tex-page/").content.decode()
    # The TeX spacing survives (Markdown would eat `\,` and `\;`), as on the lesson page.
    assert "$$w \\leftarrow w - \\alpha \\, \\nabla J(w)$$" in page
    assert "$a \\; b_i \\, c_i$" in page and "$\\alpha$" in page
    assert render_lesson(TEX_LESSON) in page
    assert '<section class="card lesson" data-math>' in page
    assert all(asset in page for asset in KATEX)


def test_every_page_with_lesson_quiz_glossary_or_faq_text_typesets_it_with_katex():
    from tests.challenges.test_blueprint import make_node

    node = make_node("tex-node", lesson=TEX_LESSON)
    node.questions.update(explanation="Because $w \\leftarrow w - \\alpha \\, g$.")
    user = make_user()
    for path in ["/challenges/tex-node/", "/blueprint/tex-node/", "/glossary/", "/faq/"]:
        page = client_for(user).get(path).content.decode()
        assert all(asset in page for asset in KATEX), path
        assert "data-math" in page, path
    answered = client_for(user).post("/blueprint/tex-node/quiz/", {"q-q1": "a"})
    explanation = answered.content.decode()
    assert "Because $w \\leftarrow w - \\alpha \\, g$." in explanation
    assert all(asset in explanation for asset in KATEX)


def test_a_signed_in_builder_sees_their_runs_and_the_exact_quota_reset():
    challenge, user = make_challenge(slug="mine", daily_quota=5), make_user()
    run = make_run(challenge, user, status=RunStatus.RUNNING, val_score=None)
    page = client_for(user).get("/challenges/mine/").content.decode()
    assert "My runs" in page and f'href="/runs/{run.pk}/"' in page
    assert "status-running" in page
    assert "4 of 5 runs left today" in page
    tomorrow = (timezone.now().astimezone(dt.UTC) + dt.timedelta(days=1)).date()
    assert f"{tomorrow.isoformat()}T00:00:00+00:00" in page


def test_after_close_the_leaderboard_shows_val_rank_and_the_shake_up():
    challenge = make_challenge(slug="closed-one")
    make_run(challenge, make_user("ada"), val_score=0.99, test_score=0.80)
    make_run(challenge, make_user("bob"), val_score=0.90, test_score=0.95)
    challenge.status = Challenge.Status.CLOSED
    challenge.save(update_fields=["status"])
    page = client_for().get("/challenges/closed-one/").content.decode()
    assert "Val rank" in page
    assert "▲ 1" in page and "▼ 1" in page


def test_a_run_page_hides_spec_and_test_score_from_others_while_open():
    challenge, owner = make_challenge(slug="vis"), make_user()
    run = make_run(challenge, owner, val_score=0.9, test_score=0.876543)
    other = client_for(make_user()).get(f"/runs/{run.pk}/").content.decode()
    assert "hidden until the owner shares it or the challenge closes" in other
    assert '"learning_rate"' not in other
    assert "0.8765" not in other and "hidden until the challenge closes" in other
    assert "Fork this config" not in other and "Cancel run" not in other

    mine = client_for(owner).get(f"/runs/{run.pk}/").content.decode()
    assert "&quot;learning_rate&quot;" in mine and "Fork this config" in mine
    assert "0.8765" not in mine  # the owner waits for the close like everyone else
    assert "Private: share the spec" in mine

    staff = client_for(make_user(staff=True)).get(f"/runs/{run.pk}/").content.decode()
    assert "0.8765" in staff


def test_a_shared_or_closed_run_shows_its_spec_to_everyone():
    challenge = make_challenge(slug="shared")
    run = make_run(challenge, make_user(), shared=True)
    assert "Fork this config" in client_for().get(f"/runs/{run.pk}/").content.decode()
    challenge.status = Challenge.Status.CLOSED
    challenge.save(update_fields=["status"])
    private = make_run(challenge, make_user(), test_score=0.876543)
    page = client_for().get(f"/runs/{private.pk}/").content.decode()
    assert "Fork this config" in page and "0.8765" in page


def test_a_live_run_page_carries_its_history_and_its_stream():
    challenge, owner = make_challenge(slug="live"), make_user()
    run = make_run(challenge, owner, status=RunStatus.RUNNING, val_score=None, attempt=1)
    run.history_chunks.create(
        attempt=1,
        first_epoch=1,
        records=[
            {"epoch": 1, "train_loss": 1.2, "val_loss": 1.1, "accuracy": 0.4},
            {"epoch": 2, "train_loss": 0.8, "val_loss": None, "accuracy": 0.6},
        ],
    )
    page = client_for(owner).get(f"/runs/{run.pk}/").content.decode()
    assert 'data-live="1"' in page and f'data-ws-url="/ws/runs/{run.pk}/"' in page
    assert f'data-api-url="/api/runs/{run.pk}/"' in page  # the fallback, if sockets keep failing
    assert '"train_loss": 0.8' in page and '"val_loss": null' in page
    assert "vendor/uplot/uPlot.iife.min.js" in page and "challenges/run.js" in page
    assert "Cancel run" in page


def test_the_run_page_shows_diagnoses_errors_and_the_disqualification_reason():
    challenge, owner = make_challenge(slug="diag"), make_user()
    run = make_run(
        challenge,
        owner,
        status=RunStatus.DIVERGED,
        val_score=None,
        error="Training diverged in epoch 3",
        disqualified_reason="Copied a run.",
        diagnoses=[{"code": "diverged", "message": "Try learning_rate 0.1"}],
    )
    page = client_for(owner).get(f"/runs/{run.pk}/").content.decode()
    assert "Training diverged in epoch 3" in page
    assert "<code>diverged</code> Try learning_rate 0.1" in page
    assert "Disqualified:</strong> Copied a run." in page


def test_the_owner_cancels_a_queued_run_and_others_cannot():
    challenge, owner = make_challenge(slug="cancel"), make_user()
    run = make_run(challenge, owner, status=RunStatus.QUEUED, val_score=None)
    assert client_for(make_user()).post(f"/runs/{run.pk}/cancel/").status_code == 403
    response = client_for(owner).post(f"/runs/{run.pk}/cancel/")
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.pk}/"
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED


def test_the_share_switch_shows_and_hides_the_spec():
    challenge, owner = make_challenge(slug="share"), make_user()
    run = make_run(challenge, owner)
    client_for(owner).post(f"/runs/{run.pk}/share/", {"shared": "1"})
    run.refresh_from_db()
    assert run.shared
    client_for(owner).post(f"/runs/{run.pk}/share/", {"shared": "0"})
    run.refresh_from_db()
    assert not run.shared
    assert (
        client_for(make_user()).post(f"/runs/{run.pk}/share/", {"shared": "1"}).status_code == 403
    )


def test_the_submit_page_needs_a_login_and_starts_from_the_starter_spec():
    challenge = make_challenge(slug="submit")
    response = client_for().get("/challenges/submit/submit/")
    assert response.status_code == 302
    assert response["Location"].startswith(settings.LOGIN_URL)
    page = client_for(make_user()).get("/challenges/submit/submit/").content.decode()
    assert '<textarea name="spec"' in page and 'class="code"' in page
    assert "&quot;learning_rate&quot;: 0.05" in page  # blobs_spec, the factory's starter
    assert challenge.starter_spec["epochs"] == 20 and "&quot;epochs&quot;: 20" in page


def test_forking_prefills_a_visible_spec_and_records_where_it_came_from():
    challenge = make_challenge(slug="fork")
    source = make_run(challenge, make_user(), shared=True, spec=blobs_spec(epochs=33))
    hidden = make_run(challenge, make_user(), spec=blobs_spec(epochs=44))
    forker = client_for(make_user())
    page = forker.get(f"/challenges/fork/submit/?fork={source.pk}").content.decode()
    assert "&quot;epochs&quot;: 33" in page and f'value="{source.pk}"' in page
    page = forker.get(f"/challenges/fork/submit/?fork={hidden.pk}").content.decode()
    assert "&quot;epochs&quot;: 44" not in page and "is not visible to you" in page

    response = forker.post(
        "/challenges/fork/submit/",
        {
            "spec": json.dumps(source.spec),
            "note": "",
            "forked_from": source.pk,
        },
    )
    assert response.status_code == 302
    assert Run.objects.get(pk=response["Location"].split("/")[2]).forked_from == source


def test_a_bad_spec_shows_the_field_error_inline_and_writes_no_run():
    make_challenge(slug="spirals-ish")
    spec = blobs_spec(
        layers=[{"units": 8, "activation": "relu"}, {"units": 2, "activation": "softmax"}]
    )
    response = client_for(make_user()).post(
        "/challenges/spirals-ish/submit/", {"spec": json.dumps(spec), "note": "x"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "<code>layers[1].units</code>: challenge &#x27;spirals-ish&#x27; has 3 classes" in page
    assert "2 units" in page
    assert not Run.objects.exists()


def test_invalid_json_says_where():
    make_challenge(slug="json")
    response = client_for(make_user()).post(
        "/challenges/json/submit/", {"spec": '{\n  "layers": [,]\n}'}
    )
    assert response.status_code == 400
    assert "invalid JSON at line 2, column 14" in response.content.decode()
    assert not Run.objects.exists()


def test_a_good_spec_creates_a_queued_run_and_redirects_to_it():
    challenge, user = make_challenge(slug="good"), make_user()
    response = client_for(user).post(
        "/challenges/good/submit/", {"spec": json.dumps(blobs_spec()), "note": "first"}
    )
    run = Run.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.pk}/"
    assert (run.owner, run.challenge, run.status, run.note) == (user, challenge, "queued", "first")


def test_an_exhausted_quota_shows_the_reset_time_and_writes_no_run():
    challenge, user = make_challenge(slug="quota", daily_quota=1), make_user()
    make_run(challenge, user, status=RunStatus.SUCCEEDED)
    response = client_for(user).post(
        "/challenges/quota/submit/", {"spec": json.dumps(blobs_spec())}
    )
    assert response.status_code == 429
    page = response.content.decode()
    tomorrow = (timezone.now().astimezone(dt.UTC) + dt.timedelta(days=1)).date()
    assert "You have used all 1 runs for today" in page
    assert f"{tomorrow.isoformat()}T00:00:00+00:00" in page
    assert Run.objects.count() == 1


def test_a_closed_challenge_refuses_submissions_on_the_page():
    make_challenge(slug="over", status=Challenge.Status.CLOSED)
    response = client_for(make_user()).post(
        "/challenges/over/submit/", {"spec": json.dumps(blobs_spec())}
    )
    assert response.status_code == 403
    assert "is closed" in response.content.decode()
    assert not Run.objects.exists()


def test_the_challenge_page_carries_its_live_stream_and_an_empty_board_for_it_to_fill():
    make_challenge(slug="race-page")
    user = make_user("ada")
    page = client_for(user).get("/challenges/race-page/").content.decode()
    assert 'data-ws-url="/ws/challenges/race-page/"' in page and 'data-viewer="ada"' in page
    assert "challenges/challenge.js" in page and "vendor/uplot/uPlot.iife.min.js" in page
    assert '<table class="leaderboard" hidden>' in page  # present, for live rows to fill
    assert 'id="race-chart"' in page and "data-race-runs" in page and "data-online" in page
    assert 'data-viewer=""' in client_for().get("/challenges/race-page/").content.decode()
