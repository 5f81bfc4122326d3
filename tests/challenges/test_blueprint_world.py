"""The demo world: every node's documented spec clears its threshold, every careless one not.

Read from the content files (challenges/content/) by the same loader `seed_demo` uses.
"""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import call_command

import descent.engine as de
from challenges.models import METRIC_DIRECTIONS, BlueprintNode, Challenge, QuizAttempt, Run
from challenges.selectors.blueprint import blueprint_states, meets_threshold
from challenges.services.submissions import spec_check
from challenges.world import DIVERGED, Node, load_world
from community.models import Thread, User
from descent.engine.metrics import score

WORLD = load_world()
SLUGS = [node.slug for node in WORLD.nodes]


def train_and_score(node: Node, which: str) -> tuple[str, float | None, float]:
    """Train a node's spec on its challenge's data; return status, hidden-test score, seconds."""
    fields = node.challenge
    data = de.load_dataset(fields.dataset, seed=0, **fields.dataset_params)
    started = time.perf_counter()
    result = de.train(de.parse_spec(node.example(which).spec), data, metric=fields.metric)
    seconds = time.perf_counter() - started
    if result.status != "succeeded":
        return result.status, None, seconds
    return result.status, score(fields.metric, result.model, data.X_test, data.y_test,
                                data.task), seconds


def threshold_of(node: Node) -> Challenge:
    return Challenge(metric=node.challenge.metric,
                     metric_direction=METRIC_DIRECTIONS[node.challenge.metric],
                     unlock_threshold=node.challenge.unlock_threshold)


def test_the_path_has_eight_nodes_with_lessons_quizzes_and_known_prerequisites():
    assert len(WORLD.nodes) >= 8
    for node in WORLD.nodes:
        assert 2 <= len(node.quiz) <= 3
        for question in node.quiz:
            assert sum(choice.correct for choice in question.choices) == 1
        assert set(node.prerequisites) <= set(SLUGS[:SLUGS.index(node.slug)])
    assert "w \\leftarrow w - \\alpha" in WORLD.nodes[0].challenge.lesson


@pytest.mark.parametrize("slug", SLUGS)
def test_each_nodes_snippet_clears_its_threshold_with_the_real_engine(slug):
    node = WORLD.node(slug)
    status, test_score, seconds = train_and_score(node, "snippet")
    assert status == "succeeded"
    assert meets_threshold(threshold_of(node), test_score), (slug, test_score)
    assert test_score == pytest.approx(node.snippet.expected, abs=0.005)  # docs/blueprint.md
    assert seconds < 1.5


@pytest.mark.parametrize("slug", SLUGS)
def test_each_nodes_careless_spec_does_not(slug):
    node = WORLD.node(slug)
    status, test_score, _ = train_and_score(node, "careless")
    assert not meets_threshold(threshold_of(node), test_score), (slug, test_score)
    if node.careless.expected == DIVERGED:
        assert status == "diverged"
    else:
        assert test_score == pytest.approx(node.careless.expected, abs=0.005)


def test_the_learning_rate_nodes_careless_spec_diverges():
    assert train_and_score(WORLD.node("learning-rate"), "careless")[0] == "diverged"


@pytest.mark.parametrize("entry", WORLD.glossary, ids=[e.slug for e in WORLD.glossary])
def test_every_glossary_snippet_runs_and_its_spec_parses(entry, capsys):
    exec(compile(entry.python, entry.slug, "exec"), {})  # our own, reviewed text
    assert capsys.readouterr().out
    de.parse_spec(entry.spec)


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
        "spec": __import__("json").dumps(WORLD.nodes[0].snippet.spec), "note": "try"})
    assert tried.status_code == 302 and tried.url.startswith("/runs/")
    glossary = client.get("/glossary/").content.decode()
    assert all(f'id="{entry.slug}"' in glossary for entry in WORLD.glossary)
    assert "import descent.engine as de" in glossary
    faq = client.get("/faq/").content.decode()
    assert "NaN" in faq and 'href="/glossary/#loss-function"' in faq
    blueprint = client.get("/blueprint/").content.decode()
    assert blueprint.count('class="edge"') == sum(len(n.prerequisites) for n in WORLD.nodes)
