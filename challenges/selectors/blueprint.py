"""Blueprint reads: every node's state for one builder, in a fixed number of queries.

A node is *cleared* when the builder has a run on its challenge whose hidden-test score meets
the unlock threshold **and** a correct quiz attempt, and every prerequisite is cleared. It is
*locked* while any prerequisite is not cleared, and *open* otherwise. Runs that count: the
builder's own, succeeded, not disqualified, not lab runs (the lab is for experiments).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Min, QuerySet

from challenges.models import BlueprintNode, Challenge, QuizAttempt, Run, RunStatus

LOCKED, OPEN, CLEARED = "locked", "open", "cleared"


@dataclass
class NodeState:
    """One node as one builder sees it."""

    node: BlueprintNode
    prerequisites: list[str]  # slugs
    state: str = LOCKED
    best_score: float | None = None
    threshold_met: bool = False
    quiz_passed: bool = False
    depth: int = 0
    needs: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.node.challenge.slug

    @property
    def challenge(self) -> Challenge:
        return self.node.challenge


def blueprint_nodes() -> QuerySet[BlueprintNode]:
    """Return the nodes whose challenges builders can see, in map order."""
    return (BlueprintNode.objects.select_related("challenge")
            .exclude(challenge__status=Challenge.Status.DRAFT)
            .order_by("position", "id"))


def meets_threshold(challenge: Challenge, score: float | None) -> bool:
    """Tell whether a hidden-test score clears the challenge's unlock threshold."""
    if score is None or challenge.unlock_threshold is None:
        return False
    if challenge.higher_is_better:
        return score >= challenge.unlock_threshold
    return score <= challenge.unlock_threshold


def counting_runs(*, user: Any) -> QuerySet[Run]:
    """Return the runs that can clear a node: the builder's own succeeded, non-lab runs."""
    return Run.objects.filter(owner=user, status=RunStatus.SUCCEEDED, lab_group__isnull=True,
                              disqualified_reason="", test_score__isnull=False)


@dataclass
class BlueprintFacts:
    """What one builder's node states follow from: nodes, edges, best scores, passed quizzes."""

    nodes: list[BlueprintNode]
    prerequisites: dict[int, list[int]]  # node id -> prerequisite node ids (visible ones)
    best: dict[int, dict[str, float | None]]  # challenge id -> {"high", "low"} test score
    passed: set[int]  # ids of the nodes whose quiz the builder answered correctly


def blueprint_facts(*, user: Any, exclude_run_id: int | None = None) -> BlueprintFacts:
    """Read what `user`'s node states follow from (4 queries; 2 for an anonymous visitor).

    `exclude_run_id` leaves one run out, to tell what changed when it finished.
    """
    nodes = list(blueprint_nodes())
    by_id = {node.pk: node for node in nodes}
    edges = BlueprintNode.prerequisites.through.objects.filter(
        from_blueprintnode_id__in=by_id
    ).values_list("from_blueprintnode_id", "to_blueprintnode_id")
    prerequisites: dict[int, list[int]] = {node.pk: [] for node in nodes}
    for node_id, prerequisite_id in edges:
        if prerequisite_id in by_id:  # a prerequisite in draft is skipped, not a lock
            prerequisites[node_id].append(prerequisite_id)

    best: dict[int, dict[str, float | None]] = {}
    passed: set[int] = set()
    if user is not None and user.is_authenticated:
        runs = counting_runs(user=user).filter(challenge_id__in=[n.challenge_id for n in nodes])
        if exclude_run_id is not None:
            runs = runs.exclude(pk=exclude_run_id)
        best = {row["challenge_id"]: row for row in runs.values("challenge_id").annotate(
            high=Max("test_score"), low=Min("test_score"))}
        passed = set(QuizAttempt.objects.filter(user=user, node_id__in=by_id, all_correct=True)
                     .values_list("node_id", flat=True).distinct())
    return BlueprintFacts(nodes=nodes, prerequisites=prerequisites, best=best, passed=passed)


def blueprint_states(*, user: Any, exclude_run_id: int | None = None) -> list[NodeState]:
    """Return every visible node with `user`'s state, in map order (4 queries).

    `exclude_run_id` leaves one run out, to tell what changed when it finished.
    """
    return blueprint_resolve(blueprint_facts(user=user, exclude_run_id=exclude_run_id))


def blueprint_resolve(facts: BlueprintFacts) -> list[NodeState]:
    """Work out every node's state from the facts, in map order (no queries)."""
    nodes, prerequisites = facts.nodes, facts.prerequisites
    by_id = {node.pk: node for node in nodes}
    states: dict[int, NodeState] = {}
    for node in nodes:
        challenge = node.challenge
        row = facts.best.get(challenge.pk)
        score = None if row is None else row["high" if challenge.higher_is_better else "low"]
        states[node.pk] = NodeState(
            node=node, prerequisites=[by_id[p].challenge.slug for p in prerequisites[node.pk]],
            best_score=score, threshold_met=meets_threshold(challenge, score),
            quiz_passed=node.pk in facts.passed,
        )

    resolving: set[int] = set()
    resolved: set[int] = set()

    def resolve(node_id: int) -> NodeState:
        state = states[node_id]
        if node_id in resolving or node_id in resolved:  # a cycle (staff error) stays locked
            return state
        resolving.add(node_id)
        blocking = []
        depth = 0
        for prerequisite_id in prerequisites[node_id]:
            prerequisite = resolve(prerequisite_id)
            depth = max(depth, prerequisite.depth + 1)
            if prerequisite.state != CLEARED:
                blocking.append(prerequisite)
        resolving.discard(node_id)
        resolved.add(node_id)
        state.depth = depth
        state.needs = _needs(state, blocking)
        if blocking:
            state.state = LOCKED
        elif state.threshold_met and state.quiz_passed:
            state.state = CLEARED
        else:
            state.state = OPEN
        return state

    return [resolve(node.pk) for node in nodes]


def _needs(state: NodeState, blocking: list[NodeState]) -> list[str]:
    """Say what the builder still has to do to clear the node, in the order to do it."""
    challenge = state.challenge
    needs = [f"Clear “{prerequisite.node.title}” first." for prerequisite in blocking]
    if not state.threshold_met:
        if challenge.unlock_threshold is None:
            needs.append("This node has no unlock threshold yet (staff set it in the admin).")
        else:
            sign = "≥" if challenge.higher_is_better else "≤"
            best = ("no scored run yet" if state.best_score is None
                    else f"your best so far: {state.best_score:.4g}")
            needs.append(f"A run with test {challenge.metric} {sign} "
                         f"{challenge.unlock_threshold:g} ({best}).")
    if not state.quiz_passed:
        needs.append("Answer the quiz correctly.")
    return needs


def node_state_of(states: list[NodeState], node: BlueprintNode) -> NodeState:
    """Return `node`'s state among `states` (a visible node always has one)."""
    return next(state for state in states if state.node.pk == node.pk)
