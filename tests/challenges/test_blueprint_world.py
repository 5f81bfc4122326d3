"""The demo world: every node's documented spec clears its threshold, every careless one not."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import call_command

import descent.engine as de
from challenges.blueprint_world import BLUEPRINT_WORLD
from challenges.glossary import GLOSSARY
from challenges.models import BlueprintNode, Challenge, QuizAttempt, Run
from challenges.selectors.blueprint import blueprint_states, meets_threshold
from challenges.services.submissions import spec_check
from community.models import Thread, User
from descent.engine.metrics import score

SLUGS = [entry["challenge"]["slug"] for entry in BLUEPRINT_WORLD]


def train_and_score(entry: dict, which: str) -> tuple[str, float | None, float]:
    """Train a node's spec on its challenge's data; return status, hidden-test score, seconds."""
    fields = entry["challenge"]
    data = de.load_dataset(fields["dataset"], seed=0, **fields["dataset_params"])
    started = time.perf_counter()
    result = de.train(de.parse_spec(entry[which]), data, metric=fields["metric"])
    seconds = time.perf_counter() - started
    if result.status != "succeeded":
        return result.status, None, seconds
    return result.status, score(fields["metric"], result.model, data.X_test, data.y_test,
                                data.task), seconds


def test_the_path_has_eight_nodes_with_lessons_quizzes_and_known_prerequisites():
    assert len(BLUEPRINT_WORLD) >= 8
    for entry in BLUEPRINT_WORLD:
        assert 2 <= len(entry["quiz"]) <= 3
        for question in entry["quiz"]:
            assert sum(choice["correct"] for choice in question["choices"]) == 1
        assert set(entry["prerequisites"]) <= set(SLUGS[:SLUGS.index(entry["challenge"]
                                                                      ["slug"])])
    assert "w \\leftarrow w - \\alpha" in BLUEPRINT_WORLD[0]["challenge"]["lesson"]


@pytest.mark.parametrize("slug", SLUGS)
def test_each_nodes_snippet_clears_its_threshold_with_the_real_engine(slug):
    entry = BLUEPRINT_WORLD[SLUGS.index(slug)]
    status, test_score, seconds = train_and_score(entry, "snippet")
    challenge = Challenge(metric=entry["challenge"]["metric"],
                          metric_direction=de_direction(entry),
                          unlock_threshold=entry["challenge"]["unlock_threshold"])
    assert status == "succeeded"
    assert meets_threshold(challenge, test_score), (slug, test_score)
    assert test_score == pytest.approx(entry["expected"], abs=0.005)  # docs/blueprint.md
    assert seconds < 1.5


@pytest.mark.parametrize("slug", SLUGS)
def test_each_nodes_careless_spec_does_not(slug):
    entry = BLUEPRINT_WORLD[SLUGS.index(slug)]
    status, test_score, _ = train_and_score(entry, "careless_snippet")
    challenge = Challenge(metric=entry["challenge"]["metric"],
                          metric_direction=de_direction(entry),
                          unlock_threshold=entry["challenge"]["unlock_threshold"])
    assert not meets_threshold(challenge, test_score), (slug, test_score)
    if entry["careless_expected"] is None:
        assert status == "diverged"
    else:
        assert test_score == pytest.approx(entry["careless_expected"], abs=0.005)


def de_direction(entry: dict) -> str:
    from challenges.models import METRIC_DIRECTIONS

    return METRIC_DIRECTIONS[entry["challenge"]["metric"]]


def test_the_learning_rate_nodes_careless_spec_diverges():
    entry = BLUEPRINT_WORLD[SLUGS.index("learning-rate")]
    assert train_and_score(entry, "careless_snippet")[0] == "diverged"


@pytest.mark.parametrize("entry", GLOSSARY, ids=[e["slug"] for e in GLOSSARY])
def test_every_glossary_snippet_runs_and_its_spec_parses(entry, capsys):
    exec(compile(entry["python"], entry["slug"], "exec"), {})  # our own, reviewed text
    assert capsys.readouterr().out
    de.parse_spec(entry["spec"])


@pytest.mark.stack
@pytest.mark.django_db(transaction=True)
def test_seed_demo_builds_the_world_fast_and_idempotently_with_specs_that_pass_the_checks():
    started = time.perf_counter()
    call_command("seed_demo", stdout=io.StringIO())
    assert time.perf_counter() - started < 10
    assert BlueprintNode.objects.count() >= 8
    counts = (User.objects.count(), Challenge.objects.count(), BlueprintNode.objects.count(),
              Run.objects.count(), QuizAttempt.objects.count(), Thread.objects.count())
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert (User.objects.count(), Challenge.objects.count(), BlueprintNode.objects.count(),
            Run.objects.count(), QuizAttempt.objects.count(),
            Thread.objects.count()) == counts
    assert "0 new blueprint nodes, 0 new runs, 0 new threads" in out.getvalue()
    for node in BlueprintNode.objects.select_related("challenge"):
        spec_check(challenge=node.challenge, spec=node.snippet)
        assert node.questions.count() >= 2
    ada = User.objects.get(username="ada")
    states = {s.slug: s.state for s in blueprint_states(user=ada)}
    assert states["fit-a-line"] == states["blobs"] == states["full-batch-gd"] == "cleared"
    assert states["learning-rate"] == "open" and states["digits"] == "locked"
    assert Run.objects.filter(status="succeeded", test_score__isnull=False).count() >= 6
    assert Thread.objects.count() >= 2


@pytest.mark.django_db
def test_seeding_keeps_a_node_staff_edited():
    call_command("seed_demo", "--no-runs", stdout=io.StringIO())
    BlueprintNode.objects.filter(challenge__slug="blobs").update(title="Staff title")
    node = BlueprintNode.objects.get(challenge__slug="blobs")
    node.prerequisites.clear()
    call_command("seed_demo", "--no-runs", stdout=io.StringIO())
    node.refresh_from_db()
    assert node.title == "Staff title" and node.prerequisites.count() == 0


@pytest.mark.django_db
def test_the_seeded_pages_render_lessons_with_katex_try_it_and_the_lab(client):
    call_command("seed_demo", "--no-runs", stdout=io.StringIO())
    client.force_login(User.objects.get(username="ada"))
    lesson = client.get("/blueprint/fit-a-line/").content.decode()
    assert "vendor/katex/contrib/auto-render.min.js" in lesson
    assert "$$w \\leftarrow w - \\alpha \\, \\nabla J(w)$$" in lesson
    assert 'action="/challenges/fit-a-line/submit/"' in lesson
    assert 'action="/challenges/fit-a-line/lab/"' in lesson
    tried = client.post("/challenges/fit-a-line/submit/", {
        "spec": __import__("json").dumps(BLUEPRINT_WORLD[0]["snippet"]), "note": "try"})
    assert tried.status_code == 302 and tried.url.startswith("/runs/")
    glossary = client.get("/glossary/").content.decode()
    assert all(f'id="{entry["slug"]}"' in glossary for entry in GLOSSARY)
    assert "import descent.engine as de" in glossary
    faq = client.get("/faq/").content.decode()
    assert "NaN" in faq and 'href="/glossary/#loss-function"' in faq
    blueprint = client.get("/blueprint/").content.decode()
    assert blueprint.count('class="edge"') == sum(len(e["prerequisites"])
                                                 for e in BLUEPRINT_WORLD)
