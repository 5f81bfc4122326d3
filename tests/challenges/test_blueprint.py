"""The learning path: unlock rules, node states over the API, live unlock notifications."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from challenges.models import BlueprintNode, QuizAttempt, QuizChoice, QuizQuestion, RunStatus
from challenges.selectors.blueprint import blueprint_states
from challenges.services.blueprint import blueprint_after_run
from community.models import Notification
from tests.support.factories import make_challenge, make_run, make_user

pytestmark = pytest.mark.django_db


def make_node(slug: str, *, threshold: float = 0.8, metric: str = "accuracy",
              prerequisites: tuple[BlueprintNode, ...] = (), position: int = 0,
              **challenge_fields) -> BlueprintNode:
    if metric in ("mse", "r2"):
        challenge_fields.setdefault("dataset", "linear")
        challenge_fields.setdefault("starter_spec", {})
    challenge = make_challenge(slug=slug, unlock_threshold=threshold, metric=metric,
                               **challenge_fields)
    node = BlueprintNode.objects.create(challenge=challenge, title=slug.title(),
                                        position=position)
    question = QuizQuestion.objects.create(node=node, key="q1", text="Which?",
                                           explanation="Because.")
    QuizChoice.objects.create(question=question, key="a", text="right", correct=True)
    QuizChoice.objects.create(question=question, key="b", text="wrong", correct=False)
    node.prerequisites.set(prerequisites)
    return node


def pass_quiz(user, node) -> None:
    QuizAttempt.objects.create(user=user, node=node, answers={"q1": "a"}, all_correct=True)


def states(user) -> dict[str, str]:
    return {s.slug: s.state for s in blueprint_states(user=user)}


@pytest.fixture
def path():
    first = make_node("first", threshold=0.8, position=0)
    second = make_node("second", threshold=0.9, prerequisites=(first,), position=1)
    third = make_node("third", threshold=0.9, prerequisites=(first, second), position=2)
    return first, second, third


def test_a_newcomer_sees_the_roots_open_and_everything_else_locked(path):
    assert states(make_user()) == {"first": "open", "second": "locked", "third": "locked"}


def test_threshold_met_without_the_quiz_stays_open_and_the_next_node_stays_locked(path):
    first, *_ = path
    user = make_user()
    make_run(first.challenge, user, test_score=0.95)
    state = next(s for s in blueprint_states(user=user) if s.slug == "first")
    assert state.threshold_met and not state.quiz_passed
    assert states(user) == {"first": "open", "second": "locked", "third": "locked"}
    assert state.needs == ["Answer the quiz correctly."]


def test_quiz_passed_without_the_threshold_stays_open(path):
    first, *_ = path
    user = make_user()
    pass_quiz(user, first)
    make_run(first.challenge, user, test_score=0.79)
    assert states(user)["first"] == "open"


def test_threshold_and_quiz_clear_a_node_and_open_only_nodes_whose_prerequisites_all_cleared(
        path):
    first, second, _third = path
    user = make_user()
    make_run(first.challenge, user, test_score=0.8)  # exactly the threshold counts
    pass_quiz(user, first)
    assert states(user) == {"first": "cleared", "second": "open", "third": "locked"}
    make_run(second.challenge, user, test_score=0.95)
    pass_quiz(user, second)
    assert states(user) == {"first": "cleared", "second": "cleared", "third": "open"}


def test_a_node_cleared_out_of_order_stays_locked_until_its_prerequisites_clear(path):
    first, second, _ = path
    user = make_user()
    make_run(second.challenge, user, test_score=0.99)
    pass_quiz(user, second)
    assert states(user)["second"] == "locked"
    make_run(first.challenge, user, test_score=0.9)
    pass_quiz(user, first)
    assert states(user)["second"] == "cleared"


def test_lower_is_better_thresholds_compare_the_other_way():
    node = make_node("line", metric="mse", threshold=0.02)
    user = make_user()
    pass_quiz(user, node)
    make_run(node.challenge, user, test_score=0.03, spec=None)
    assert states(user)["line"] == "open"
    make_run(node.challenge, user, test_score=0.01)
    state = blueprint_states(user=user)[0]
    assert state.state == "cleared" and state.best_score == 0.01


@pytest.mark.parametrize("fields", [
    {"ranked": False, "counts_toward_quota": False, "lab_group": "7d7e1ad4-3a3b-4c1e-9a53-"
                                                                 "0f4f4b1f7c11"},
    {"disqualified_reason": "copied"},
    {"status": RunStatus.DIVERGED},
])
def test_lab_disqualified_and_unfinished_runs_never_clear_a_node(path, fields):
    first, *_ = path
    user = make_user()
    pass_quiz(user, first)
    make_run(first.challenge, user, test_score=0.99, **fields)
    assert states(user)["first"] == "open"


def test_someone_elses_run_does_not_clear_my_node(path):
    first, *_ = path
    me, other = make_user(), make_user()
    make_run(first.challenge, other, test_score=0.99)
    pass_quiz(me, first)
    assert states(me)["first"] == "open"


def test_states_cost_a_fixed_number_of_queries(path):
    user = make_user()
    with CaptureQueriesContext(connection) as few:
        blueprint_states(user=user)
    for index in range(6):
        node = make_node(f"extra-{index}", prerequisites=path[:2])
        make_run(node.challenge, user, test_score=0.5)
        pass_quiz(user, node)
    with CaptureQueriesContext(connection) as many:
        blueprint_states(user=user)
    assert len(many) == len(few) <= 4


def test_a_prerequisite_cycle_locks_its_nodes_instead_of_looping(path):
    first, second, _ = path
    first.prerequisites.add(second)  # staff error: the admin refuses it, the selector survives
    assert states(make_user())["first"] == "locked"


def test_the_api_lists_nodes_with_the_callers_state_score_threshold_and_quiz(path):
    first, *_ = path
    user = make_user()
    make_run(first.challenge, user, test_score=0.85)
    client = APIClient()
    client.force_authenticate(user)
    nodes = client.get("/api/blueprint/").json()["nodes"]
    assert [n["slug"] for n in nodes] == ["first", "second", "third"]
    assert {k: nodes[0][k] for k in ("challenge", "prerequisites", "state", "best_score",
                                      "threshold", "quiz_passed", "threshold_met")} == {
        "challenge": "first", "prerequisites": [], "state": "open", "best_score": 0.85,
        "threshold": 0.8, "quiz_passed": False, "threshold_met": True}
    assert nodes[2]["prerequisites"] == ["first", "second"]
    assert nodes[1]["needs"][0] == "Clear “First” first."
    anonymous = APIClient().get("/api/blueprint/").json()["nodes"]
    assert [n["state"] for n in anonymous] == ["open", "locked", "locked"]


def test_draft_challenges_are_left_off_the_map(path):
    _, second, _ = path
    second.challenge.status = "draft"
    second.challenge.save(update_fields=["status"])
    assert list(states(make_user())) == ["first", "third"]


def test_a_run_that_completes_a_node_notifies_node_cleared_once(
        path, django_capture_on_commit_callbacks):
    first, *_ = path
    user = make_user()
    pass_quiz(user, first)
    run = make_run(first.challenge, user, test_score=0.9)
    with django_capture_on_commit_callbacks():
        assert blueprint_after_run(run) == [first.pk]
    notification = Notification.objects.get(recipient=user, kind="node.cleared")
    assert "“First”" in notification.text and "“Second”" in notification.text
    assert notification.url == "/blueprint/first/"
    assert blueprint_after_run(run) == []  # again: nothing new
    later = make_run(first.challenge, user, test_score=0.95)
    assert blueprint_after_run(later) == []
    assert Notification.objects.filter(recipient=user, kind="node.cleared").count() == 1


def test_a_run_over_the_threshold_before_the_quiz_says_to_answer_it(path):
    first, *_ = path
    user = make_user()
    run = make_run(first.challenge, user, test_score=0.9)
    assert blueprint_after_run(run) == []
    notification = Notification.objects.get(recipient=user)
    assert notification.kind == "node.threshold_met" and "quiz" in notification.text
    below = make_run(first.challenge, user, test_score=0.1)
    assert blueprint_after_run(below) == []
    assert Notification.objects.filter(recipient=user).count() == 1


def test_the_blueprint_page_draws_the_map_with_states_and_needs(client, path):
    first, *_ = path
    user = make_user()
    make_run(first.challenge, user, test_score=0.85)
    client.force_login(user)
    html = client.get("/blueprint/").content.decode()
    assert "<svg" in html and 'data-node="first"' in html and 'class="node state-open"' in html
    assert html.count('class="edge"') == 3
    assert "Answer the quiz correctly." in html and "/ws/notifications/" in html


def test_the_admin_lists_nodes_and_refuses_a_prerequisite_loop(client, path):
    first, second, third = path
    client.force_login(_superuser())
    assert client.get("/admin/challenges/blueprintnode/").status_code == 200
    assert client.get(f"/admin/challenges/quizquestion/{first.questions.first().pk}/change/"
                      ).status_code == 200
    from challenges.admin import prerequisite_cycle

    assert prerequisite_cycle(first, [third]) != ""
    assert prerequisite_cycle(third, [first, second]) == ""


def _superuser():
    from community.models import User

    return User.objects.create_superuser("root-admin", password="a-long-test-password-1")
