"""Verify a run: train its spec again on another worker and compare every recorded value.

Routing. The task goes to the shared queue, so any worker may take it. A worker that takes
the check of a run it trained itself asks who else is alive (a broadcast ping, ~1 s) and,
if another node answers, hands the task to that node's own queue (Celery's `worker_direct`:
every worker also listens on `<node>.dq2`), preferring a node on another machine. The
forwarded task runs wherever it lands, so a check is forwarded at most once and never
bounces. With a single worker node the check runs there, and its detail says so.

The comparison is the engine's (`descent.engine.reproduce`), the same as `descent reproduce`
on a builder's machine. The hidden test score is compared too, but only as same/different:
a verification's detail is public, the test score is not until the close.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from billiard.exceptions import SoftTimeLimitExceeded
from celery.utils.nodenames import worker_direct
from django.conf import settings

from challenges.models import Run, RunStatus, VerificationStatus
from challenges.selectors.datasets import challenge_dataset, challenge_dataset_hash
from challenges.selectors.history import run_history
from challenges.selectors.verification import run_to_verify
from challenges.services.verification import (
    VERIFY_TIME_FACTOR,
    VerificationOutcome,
    verification_enqueue,
    verification_record,
)
from descent.engine import ENGINE_VERSION
from descent.engine.reproduce import (
    compare_histories,
    judge,
    local_json_history,
    numeric_environment,
    scores_agree,
)
from descent.engine.training import train
from workers.nodes import choose_verifier, independence, other_nodes, worker_node
from workers.training import model_scores

log = logging.getLogger(__name__)

# A run stopped from outside recorded only some epochs; its check compares those.
COMPLETE_STATUSES = frozenset({RunStatus.SUCCEEDED, RunStatus.DIVERGED})


def verify_run(run_id: int, *, forwarded_from: str = "") -> str:
    """Check run `run_id` if its verification is pending; return what happened."""
    run = run_to_verify(run_id=run_id)
    if run is None:
        return "skipped: no pending verification"
    node = worker_node()
    if not forwarded_from and run.worker_node == node:
        target = choose_verifier(original_node=run.worker_node, candidates=other_nodes(node))
        if target is not None:
            verification_enqueue(run, queue=worker_direct(target), forwarded_from=node)
            return f"forwarded to {target}"
    try:
        status, detail = check_run(run)
    except SoftTimeLimitExceeded:
        limit = run.challenge.time_limit_seconds * VERIFY_TIME_FACTOR
        status, detail = VerificationStatus.ERROR, {
            "summary": f"the re-training reached the verification's time limit ({limit} s) "
                       "before it finished; nothing is known against the run"}
    except MemoryError:
        status, detail = VerificationStatus.ERROR, {
            "summary": f"the re-training needed more memory than a worker allows "
                       f"({settings.WORKER_MEMORY_LIMIT_MB} MiB)"}
    except Exception as exc:
        log.exception("verification of run %s failed", run_id)
        status, detail = VerificationStatus.ERROR, {
            "summary": f"the verifying worker hit an internal error ({type(exc).__name__}); "
                       "this is a bug on our side, not the run's"}
    detail["independence"] = independence(original_node=run.worker_node, node=node)
    detail.setdefault("rerun", {})["worker_node"] = node
    verification_record(run_id=run.pk,
                        outcome=VerificationOutcome(status=status, verifier_node=node,
                                                    detail=detail))
    return str(status)


def check_run(run: Run) -> tuple[str, dict[str, Any]]:
    """Train the run's spec again and judge it; return the status and the detail."""
    challenge = run.challenge
    data = challenge_dataset(challenge)
    recorded = run_history(run)
    complete = run.status in COMPLETE_STATUSES
    rtol, atol = settings.VERIFY_RTOL, settings.VERIFY_ATOL
    numeric = numeric_environment()
    sides = {
        "recorded": {"engine_version": run.engine_version, "numpy": run.numpy_version,
                     "blas": run.blas, "dataset_hash": run.dataset_hash,
                     "worker_node": run.worker_node, "worker_host": run.worker_host},
        "rerun": {"engine_version": ENGINE_VERSION, "numpy": numeric["numpy"],
                  "blas": numeric["blas"], "dataset_hash": challenge_dataset_hash(challenge),
                  "worker_host": socket.gethostname()},
    }
    if not recorded:
        return VerificationStatus.ERROR, {
            "summary": f"the run ended {run.status} before it recorded an epoch: nothing to "
                       "compare", **sides}
    # A run stopped from outside (time limit, cancel, failure) is compared over its epochs.
    stop_after = None if complete else recorded[-1]["epoch"]
    result = train(run.spec, data, metric=challenge.metric, on_epoch=None if complete else (
        lambda record: record["epoch"] < stop_after))
    rerun = local_json_history(result.history)
    if not complete:
        rerun = rerun[:len(recorded)]
    comparison = compare_histories(recorded, rerun)
    val_score = test_score = None
    if complete and result.status == RunStatus.SUCCEEDED:
        val_score, test_score = model_scores(challenge.metric, result.model, data)
    verdict = judge(comparison, recorded_status=run.status,
                    rerun_status=result.status if complete else run.status,
                    recorded_score=run.val_score if complete else None,
                    rerun_score=val_score, rtol=rtol, atol=atol)
    test_agrees = (None if not complete
                   else scores_agree(run.test_score, test_score, rtol=rtol, atol=atol))
    reproduced, summary = verdict.reproduced, verdict.reason
    if reproduced and test_agrees is False:
        reproduced, summary = False, "the history and validation score match, but the " \
                                     "hidden test score does not"
    largest, first = comparison.largest, comparison.first
    detail: dict[str, Any] = {
        "summary": summary,
        "bit_for_bit": verdict.bit_for_bit and test_agrees is not False,
        "epochs": comparison.server_epochs,
        "rerun_epochs": comparison.local_epochs,
        "values_compared": comparison.values_compared,
        "differences": len(comparison.differences),
        "largest": largest.as_dict() if largest else None,
        "figures": largest.describe() if largest else "",
        "first": first.as_dict() if first else None,
        "edited": comparison.edited,
        "rtol": rtol, "atol": atol,
        "score": {"recorded": run.val_score if complete else None, "rerun": val_score},
        "test_score_agrees": test_agrees,
        **sides,
    }
    if not reproduced:
        detail["why"] = mismatch_reason(detail)
    return (VerificationStatus.REPRODUCED if reproduced else VerificationStatus.MISMATCH), detail


def mismatch_reason(detail: dict[str, Any]) -> str:
    """Say the likeliest cause of a mismatch, from what the two sides recorded."""
    recorded, rerun = detail["recorded"], detail["rerun"]
    if detail["edited"]:
        return ("only earlier epochs differ and the last one is identical: training is a "
                "chain, so the stored history was changed after the run")
    if recorded["dataset_hash"] and recorded["dataset_hash"] != rerun["dataset_hash"]:
        return "the data differ: the run trained on arrays with another hash"
    if recorded["engine_version"] and recorded["engine_version"] != rerun["engine_version"]:
        return (f"the engine differs: the run was trained by {recorded['engine_version']}, "
                f"the check by {rerun['engine_version']}")
    if (recorded["numpy"], recorded["blas"]) != (rerun["numpy"], rerun["blas"]):
        return ("the arithmetic differs: numpy or BLAS are not the same (matrix products sum "
                "in another order), and training compounds it")
    return ("same engine, data, numpy and BLAS: the values themselves differ; another CPU "
            "(BLAS kernels are chosen per CPU) or a changed record")
