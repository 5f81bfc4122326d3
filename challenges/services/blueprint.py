"""Blueprint writes: answer a node's quiz, and clear nodes when a run or a quiz completes them.

Clearing is not stored: it follows from runs and quiz attempts (selectors.blueprint). What these
services add is the moment it happens: a "node.cleared" notification, pushed live to the
builder's header bell and blueprint page after the transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from challenges.errors import NodeLocked, QuizInvalid
from challenges.models import BlueprintNode, QuizAttempt, Run, RunStatus
from challenges.selectors.blueprint import (
    CLEARED,
    LOCKED,
    NodeState,
    blueprint_facts,
    blueprint_resolve,
    meets_threshold,
    node_state_of,
)
from community.models import Notification
from community.services.notifications import notification_create

NODE_CLEARED = "node.cleared"
NODE_THRESHOLD_MET = "node.threshold_met"


@dataclass(frozen=True)
class QuestionResult:
    key: str
    correct: bool
    chosen: str
    correct_choice: str
    explanation: str


@dataclass(frozen=True)
class QuizResult:
    """What a quiz submission got right, with the explanations, and whether it cleared the node.

    `states` is every node's state after the attempt (the lesson page shows them); `state` is
    this node's.
    """

    attempt: QuizAttempt
    results: list[QuestionResult]
    node_cleared: bool
    states: list[NodeState]
    state: NodeState

    @property
    def all_correct(self) -> bool:
        return self.attempt.all_correct


def _check_answers(node: BlueprintNode, answers: Any) -> dict[str, str]:
    if not isinstance(answers, dict):
        raise QuizInvalid({"answers": ["send an object: {question_key: choice_key}"]})
    questions = {q.key: q for q in node.questions.all()}
    errors: dict[str, list[str]] = {}
    for key, choice in answers.items():
        question = questions.get(key)
        if question is None:
            errors[str(key)] = [f"node '{node.slug}' has no question '{key}'; its questions "
                                f"are {', '.join(sorted(questions))}"]
        elif not isinstance(choice, str) or choice not in {c.key for c in question.choices.all()}:
            keys = ", ".join(c.key for c in question.choices.all())
            errors[str(key)] = [f"'{choice}' is not a choice of question '{key}'; pick one of "
                                f"{keys}"]
    for key in questions:
        if key not in answers:
            errors[key] = ["answer every question: this one is missing"]
    if errors:
        raise QuizInvalid(errors)
    return answers


@transaction.atomic
def quiz_answer(*, user: Any, node: BlueprintNode, answers: Any) -> QuizResult:
    """Record an attempt at `node`'s quiz and say which answers were right, with explanations.

    Raises `NodeLocked` before the prerequisites are cleared and `QuizInvalid` for unknown
    questions or choices, or a missing answer. An attempt that completes the node (threshold
    already met) notifies the builder that the node is cleared. Pass the node with its
    questions and choices loaded (`selectors.visibility.node_get`): the blueprint's state is
    read once (4 queries) and worked out again in memory after the attempt.
    """
    facts = blueprint_facts(user=user)
    states = blueprint_resolve(facts)
    before = node_state_of(states, node)
    if before.state == LOCKED:
        raise NodeLocked(f"“{node.title}” is locked: {' '.join(before.needs)}")
    answers = _check_answers(node, answers)
    results = []
    for question in node.questions.all():
        correct_key = next((c.key for c in question.choices.all() if c.correct), "")
        results.append(QuestionResult(
            key=question.key, correct=answers[question.key] == correct_key,
            chosen=answers[question.key], correct_choice=correct_key,
            explanation=question.explanation,
        ))
    attempt = QuizAttempt.objects.create(user=user, node=node, answers=answers,
                                         all_correct=all(r.correct for r in results))
    cleared = []
    if attempt.all_correct and node.pk not in facts.passed:
        facts.passed.add(node.pk)  # what this attempt changed; nothing else did
        after = blueprint_resolve(facts)
        if before.state != CLEARED:
            cleared = _announce(user=user, after=after, before_states={node.pk: before})
        states = after
    return QuizResult(attempt=attempt, results=results, node_cleared=node.pk in cleared,
                      states=states, state=node_state_of(states, node))


def blueprint_after_run(run: Run) -> list[int]:
    """Announce the nodes `run` cleared (and a threshold met with the quiz still to answer).

    Call after a run has succeeded (the worker does, after `run_finish`). Returns the ids of the
    nodes that became cleared; a run that changes nothing announces nothing, so calling it
    twice for the same run is harmless.
    """
    if (run.status != RunStatus.SUCCEEDED or run.lab_group is not None
            or run.disqualified_reason or run.test_score is None):
        return []
    node = BlueprintNode.objects.filter(challenge_id=run.challenge_id).first()
    if node is None or not meets_threshold(run.challenge, run.test_score):
        return []
    with transaction.atomic():
        # Read once without the run, then add its score in memory: the same states as
        # reading twice, in half the queries.
        facts = blueprint_facts(user=run.owner, exclude_run_id=run.pk)
        before = blueprint_resolve(facts)
        row = facts.best.get(run.challenge_id)
        score = run.test_score
        facts.best[run.challenge_id] = {
            "high": score if row is None or row["high"] is None else max(row["high"], score),
            "low": score if row is None or row["low"] is None else min(row["low"], score),
        }
        after = blueprint_resolve(facts)
        cleared = _announce(user=run.owner, before=before, after=after)
        was, now = node_state_of(before, node), node_state_of(after, node)
        if now.state != CLEARED and not was.threshold_met and now.threshold_met:
            todo = ("answer its quiz to clear it" if now.state != LOCKED
                    else "clear its prerequisites, then answer its quiz")
            notification_create(
                recipient=run.owner, kind=NODE_THRESHOLD_MET,
                text=f"Run {run.pk} met the threshold of “{node.title}”: {todo}.",
                url=f"/blueprint/{node.slug}/",
            )
    return cleared


def _announce(*, user: Any, after: list[NodeState], before: list[NodeState] | None = None,
              before_states: dict[int, NodeState] | None = None) -> list[int]:
    """Notify `user` of each node cleared between `before` and `after`; return their ids."""
    previous = {s.node.pk: s for s in before} if before is not None else dict(before_states or {})
    cleared = []
    for state in after:
        was = previous.get(state.node.pk)
        if state.state != CLEARED or was is None or was.state == CLEARED:
            continue
        url = f"/blueprint/{state.slug}/"
        # Once per builder and node: a run finished twice (a redelivered task) or a quiz
        # answered again announces nothing new.
        if Notification.objects.filter(recipient=user, kind=NODE_CLEARED, url=url).exists():
            continue
        cleared.append(state.node.pk)
        opened = [s.node.title for s in after
                  if state.slug in s.prerequisites and s.state != LOCKED]
        text = f"You cleared “{state.node.title}”."
        if opened:
            text += " Now open: " + ", ".join(f"“{title}”" for title in opened) + "."
        notification_create(recipient=user, kind=NODE_CLEARED, text=text, url=url)
    return cleared
