"""The kept leaderboard (BestEntry) always equals a from-scratch recompute of the runs."""

from __future__ import annotations

import math
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from challenges.models import BestEntry, Challenge, Run, RunStatus
from challenges.selectors.leaderboards import leaderboard_get
from challenges.services.best_entries import best_entries_check
from challenges.services.runs import (
    RunOutcome,
    RunRecorder,
    run_claim,
    run_disqualify,
    run_finish,
    run_requalify,
    run_rerun,
    run_set_ranked,
)
from tests.support.factories import make_challenge, make_run, make_user

pytestmark = pytest.mark.django_db

BUILDERS = 4
# Few distinct values, so that ties (score, then parameters) happen often.
SCORES = st.one_of(st.sampled_from([0.5, 0.7, 0.9]), st.sampled_from([math.nan, math.inf, None]))
OUTCOMES = st.one_of(st.just(RunStatus.SUCCEEDED),
                     st.sampled_from([RunStatus.DIVERGED, RunStatus.FAILED, RunStatus.TIMED_OUT,
                                      RunStatus.CANCELLED]))
SUBMIT = st.tuples(st.just("submit"), st.integers(0, BUILDERS - 1), OUTCOMES, SCORES, SCORES,
                   st.sampled_from([10, 20]), st.booleans())
ON_RUN = st.tuples(st.sampled_from(["disqualify", "requalify", "rerun", "unrank", "rank"]),
                   st.integers(0, 50), OUTCOMES, SCORES, SCORES)
OPERATIONS = st.lists(st.one_of(SUBMIT, ON_RUN), min_size=1, max_size=25)


def finish(run: Run, status: str, val_score: float | None, test_score: float | None) -> None:
    """Take a queued run through the worker's services: claim, then finish with an outcome."""
    claimed = run_claim(run_id=run.pk, worker_host="test", engine_version="test")
    assert claimed is not None
    run_finish(recorder=RunRecorder(run_id=run.pk, attempt=claimed.attempt),
               outcome=RunOutcome(status=status, val_score=val_score, test_score=test_score))


def reference_board(challenge: Challenge, field: str) -> list[tuple[str, int]]:
    """Rank the runs by the rule in plain Python: (builder, run) in rank order."""
    sign = -1 if challenge.higher_is_better else 1
    eligible = [run for run in Run.objects.filter(challenge=challenge).select_related("owner")
                if run.status == RunStatus.SUCCEEDED and run.ranked and not run.disqualified
                and getattr(run, field) is not None and math.isfinite(getattr(run, field))]
    eligible.sort(key=lambda run: (sign * getattr(run, field), run.parameter_count,
                                   run.created_at, run.pk))
    board, seen = [], set()
    for run in eligible:
        if run.owner_id not in seen:
            seen.add(run.owner_id)
            board.append((run.owner.username, run.pk))
    return board


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=OPERATIONS, higher_is_better=st.booleans())
def test_after_random_submissions_disqualifications_and_reruns_the_kept_board_equals_a_recompute(
        operations, higher_is_better):
    challenge = (make_challenge() if higher_is_better else
                 make_challenge(dataset="linear", metric="mse", starter_spec={}))
    builders = [make_user() for _ in range(BUILDERS)]
    runs: list[Run] = []
    for operation in operations:
        kind = operation[0]
        if kind == "submit":
            _, builder, status, val_score, test_score, parameters, ranked = operation
            run = make_run(challenge, builders[builder], status=RunStatus.QUEUED,
                           val_score=None, test_score=None, parameter_count=parameters,
                           ranked=ranked)
            finish(run, status, val_score, test_score)
            runs.append(run)
            continue
        if not runs:
            continue
        _, index, status, val_score, test_score = operation
        # Mostly a run that ranks or could: those are the ones whose changes move the board.
        succeeded = list(Run.objects.filter(pk__in=[r.pk for r in runs],
                                            status=RunStatus.SUCCEEDED).order_by("pk"))
        pool = succeeded if succeeded and index % 5 else runs
        run = Run.objects.get(pk=pool[index % len(pool)].pk)
        if kind == "disqualify":
            run_disqualify(run=run, reason="used the test set")
        elif kind == "requalify":
            run_requalify(run=run)
        elif kind == "rerun":
            rerun = run_rerun(run=run)
            finish(rerun, status, val_score, test_score)
            runs.append(rerun)
        else:
            run_set_ranked(run=run, ranked=kind == "rank")

    assert not best_entries_check(challenge=challenge)
    assert [(e.user, e.run) for e in leaderboard_get(challenge=challenge)] == \
        reference_board(challenge, "val_score")
    challenge.status = Challenge.Status.CLOSED
    challenge.save(update_fields=["status"])
    assert [(e.user, e.run) for e in leaderboard_get(challenge=challenge)] == \
        reference_board(challenge, "test_score")


def test_a_finishing_run_that_beats_the_builders_best_replaces_it_in_the_same_transaction():
    challenge = make_challenge()
    ada = make_user("ada")
    first = make_run(challenge, ada, val_score=0.7)
    better = make_run(challenge, ada, status=RunStatus.QUEUED, val_score=None, test_score=None)
    finish(better, RunStatus.SUCCEEDED, 0.95, 0.9)
    kept = BestEntry.objects.get(challenge=challenge, owner=ada, basis="val_score")
    assert (kept.run_id, kept.score) == (better.pk, 0.95)
    assert first.pk != kept.run_id


def test_disqualifying_the_best_run_falls_back_to_the_builders_next_best():
    challenge = make_challenge()
    ada = make_user("ada")
    second = make_run(challenge, ada, val_score=0.7)
    best = make_run(challenge, ada, val_score=0.95)
    run_disqualify(run=best, reason="used the test set")
    assert [entry.run for entry in leaderboard_get(challenge=challenge)] == [second.pk]
    run_disqualify(run=second, reason="copied")
    assert leaderboard_get(challenge=challenge) == []
    assert not BestEntry.objects.filter(challenge=challenge).exists()


def test_leaderboard_check_passes_on_a_kept_board_and_exits_non_zero_on_a_difference():
    challenge = make_challenge(slug="checked")
    ada, bob = make_user("ada"), make_user("bob")
    make_run(challenge, ada, val_score=0.7)
    best = make_run(challenge, bob, val_score=0.9)
    out = StringIO()
    call_command("leaderboard_check", "checked", stdout=out)
    assert "checked: kept board equals the recompute" in out.getvalue()

    # A write behind the services' back: the kept board no longer tells the truth.
    Run.objects.filter(pk=best.pk).update(val_score=0.1)
    with pytest.raises(CommandError, match="1 leaderboard"):
        call_command("leaderboard_check", "checked", stdout=StringIO())
    with pytest.raises(CommandError, match="repaired"):
        call_command("leaderboard_check", "checked", "--repair", stdout=StringIO())
    call_command("leaderboard_check", "checked", stdout=StringIO())  # equal again
    assert [e.user for e in leaderboard_get(challenge=challenge)] == ["ada", "bob"]


def test_leaderboard_check_names_an_unknown_challenge():
    with pytest.raises(CommandError, match="no challenge nope"):
        call_command("leaderboard_check", "nope", stdout=StringIO())
