"""Validation quizzes: the answer key stays private until answered; attempts; clearing."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from challenges.models import QuizAttempt
from community.models import Notification
from tests.challenges.test_blueprint import make_node, pass_quiz
from tests.support.factories import make_run, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def nodes():
    first = make_node("quiz-first")
    second = make_node("quiz-second", prerequisites=(first,))
    return first, second


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_get_sends_questions_and_choices_never_which_is_correct(nodes):
    response = api(make_user()).get("/api/blueprint/quiz-first/quiz/")
    assert response.status_code == 200
    body = response.json()
    assert body["questions"] == [{"key": "q1", "text": "Which?",
                                  "choices": [{"key": "a", "text": "right"},
                                              {"key": "b", "text": "wrong"}]}]
    raw = response.content.decode()
    assert "correct" not in raw and "Because." not in raw  # nor the explanation


def test_the_lesson_page_does_not_leak_the_answer_key_before_answering(client, nodes):
    client.force_login(make_user())
    html = client.get("/blueprint/quiz-first/").content.decode()
    assert 'name="q-q1"' in html and "Because." not in html and "✓" not in html


def test_answering_says_which_were_right_with_explanations_and_records_the_attempt(nodes):
    user = make_user()
    wrong = api(user).post("/api/blueprint/quiz-first/quiz/", {"answers": {"q1": "b"}},
                           format="json")
    assert wrong.status_code == 200
    assert wrong.json()["all_correct"] is False
    assert wrong.json()["results"] == [{"key": "q1", "correct": False, "chosen": "b",
                                        "correct_choice": "a", "explanation": "Because."}]
    right = api(user).post("/api/blueprint/quiz-first/quiz/", {"answers": {"q1": "a"}},
                           format="json")
    assert right.json()["all_correct"] is True and right.json()["state"] == "open"
    assert list(QuizAttempt.objects.filter(user=user).values_list("all_correct", flat=True)
                .order_by("id")) == [False, True]


@pytest.mark.parametrize("answers", [
    {"q1": "a", "q9": "a"},   # unknown question
    {"q1": "z"},              # unknown choice
    {},                       # nothing answered
])
def test_unknown_questions_or_choices_or_missing_answers_are_400(nodes, answers):
    response = api(make_user()).post("/api/blueprint/quiz-first/quiz/", {"answers": answers},
                                     format="json")
    assert response.status_code == 400
    assert QuizAttempt.objects.count() == 0


def test_unknown_body_keys_are_400(nodes):
    response = api(make_user()).post("/api/blueprint/quiz-first/quiz/",
                                     {"answers": {"q1": "a"}, "extra": 1}, format="json")
    assert response.status_code == 400


def test_a_locked_nodes_quiz_is_403_both_ways(nodes):
    client = api(make_user())
    assert client.get("/api/blueprint/quiz-second/quiz/").status_code == 403
    post = client.post("/api/blueprint/quiz-second/quiz/", {"answers": {"q1": "a"}},
                       format="json")
    assert post.status_code == 403 and QuizAttempt.objects.count() == 0


def test_anonymous_is_401_and_unknown_node_404(nodes):
    assert APIClient().get("/api/blueprint/quiz-first/quiz/").status_code == 401
    assert api(make_user()).get("/api/blueprint/nope/quiz/").status_code == 404


def test_a_quiz_that_completes_the_node_clears_it_and_notifies(nodes,
                                                               django_capture_on_commit_callbacks):
    first, _ = nodes
    user = make_user()
    make_run(first.challenge, user, test_score=0.95)
    with django_capture_on_commit_callbacks():
        response = api(user).post("/api/blueprint/quiz-first/quiz/", {"answers": {"q1": "a"}},
                                  format="json")
    assert response.json()["node_cleared"] is True and response.json()["state"] == "cleared"
    notification = Notification.objects.get(recipient=user, kind="node.cleared")
    assert "Quiz-Second" in notification.text
    again = api(user).post("/api/blueprint/quiz-first/quiz/", {"answers": {"q1": "a"}},
                           format="json")
    assert again.json()["node_cleared"] is False
    assert Notification.objects.filter(kind="node.cleared").count() == 1


def test_the_lesson_page_form_answers_and_shows_explanations(client, nodes):
    first, _ = nodes
    user = make_user()
    client.force_login(user)
    response = client.post("/blueprint/quiz-first/quiz/", {"q-q1": "b"})
    html = response.content.decode()
    assert response.status_code == 200 and "Because." in html and "Not all correct" in html
    pass_quiz(user, first)


def test_lesson_math_survives_markdown_and_the_sanitiser():
    from challenges.lessons import render_lesson

    html = render_lesson("Loss $J = \\frac{1}{n}\\sum_i (y_i - x_i)^2$ and\n\n"
                         "$$w \\leftarrow w - \\alpha \\nabla J(w) \\{x\\}$$\n\n"
                         "<script>alert(1)</script> `$code$` [g](/glossary/)")
    assert "$J = \\frac{1}{n}\\sum_i (y_i - x_i)^2$" in html  # no <em> from the underscores
    assert "$$w \\leftarrow w - \\alpha \\nabla J(w) \\{x\\}$$" in html
    assert "<script>" not in html and "<code>$code$</code>" in html
    assert 'href="/glossary/"' in html


def test_quiz_answers_posted_as_json_strings_only(nodes):
    response = api(make_user()).post("/api/blueprint/quiz-first/quiz/",
                                     json.dumps({"answers": {"q1": ["a"]}}),
                                     content_type="application/json")
    assert response.status_code == 400
