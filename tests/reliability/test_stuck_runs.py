"""The sweeper, as deployed (beat + the maintenance worker), leaves no run without an end.

Every way a run can be left behind, at once: a task lost before it was sent (Redis was down
at the enqueue), a worker that died mid-run, a run out of attempts. After one sweep interval
and the training it starts, none is outside a final state.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from challenges.models import RunStatus
from tests.reliability.support import assert_no_stuck_runs, wait_final
from tests.support import stack
from tests.support.factories import make_challenge, make_run, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]


def test_after_a_sweep_no_run_is_left_outside_a_final_state():
    challenge, user = make_challenge(), make_user()
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    unsent = make_run(challenge, user, status=RunStatus.QUEUED, val_score=None,
                      test_score=None, enqueued_at=None)
    orphaned = make_run(challenge, user, status=RunStatus.RUNNING, val_score=None,
                        test_score=None, attempt=1, heartbeat_at=long_ago,
                        started_at=long_ago, enqueued_at=long_ago,
                        worker_process="gone-host:1")
    exhausted = make_run(challenge, user, status=RunStatus.RUNNING, val_score=None,
                         test_score=None, attempt=3, heartbeat_at=long_ago,
                         started_at=long_ago, enqueued_at=long_ago)
    with stack.sweeping(), stack.celery_worker(concurrency=1):
        runs = {run.pk: wait_final(run.pk, timeout=60) for run in (unsent, orphaned, exhausted)}
    assert runs[unsent.pk].status == RunStatus.SUCCEEDED
    assert runs[orphaned.pk].status == RunStatus.SUCCEEDED and runs[orphaned.pk].attempt == 2
    assert runs[exhausted.pk].status == RunStatus.FAILED
    assert "stopped responding 3 times" in runs[exhausted.pk].error
    assert_no_stuck_runs()
