"""A run's page and its owner's actions (cancel, share)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from challenges.apis.serializers import run_data
from challenges.models import RunStatus
from challenges.selectors.instruments import run_instruments, terrain_expected
from challenges.selectors.visibility import run_get, run_get_owned, run_owned_by
from challenges.services.runs import run_cancel, run_set_shared

LIVE_STATUSES = {RunStatus.QUEUED, RunStatus.RUNNING}


def run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    """Show a run as the visitor may see it: spec and test score only where allowed."""
    run = run_get(run_id=run_id, viewer=request.user)
    data = run_data(run, request.user, with_history=True)
    instruments = run_instruments(run, request.user)
    context = {
        "run": run,
        "data": data,
        "spec_json": json.dumps(data["spec"], indent=2) if data["spec_visible"] else "",
        "history": data["history"],
        "last_epoch": data["history"][-1] if data["history"] else None,
        "live": run.status in LIVE_STATUSES,
        "can_act": run_owned_by(run, request.user),
        "ghost": data["ghost"],
        # "Race this run": a finished run of a challenge that takes submissions.
        "can_race": run.is_final and run.challenge.accepts_submissions(),
        "instruments": instruments,
        # Fair shares: how many of the builder's waiting runs go first (None: not waiting).
        "queue_place": data["queue"]["ahead"],
        "max_in_flight": data["queue"]["max_in_flight"],
        # A finished run whose terrain is still to come keeps listening for run.terrain.
        "terrain_pending": terrain_expected(run, instruments["terrain"]),
    }
    return render(request, "challenges/run.html", context)


@login_required
@require_POST
def run_cancel_view(request: HttpRequest, run_id: int) -> HttpResponse:
    """Cancel the run (owner or staff) and go back to its page."""
    run_cancel(run=run_get_owned(run_id=run_id, viewer=request.user))
    return redirect("run-page", run_id=run_id)


@login_required
@require_POST
def run_share_view(request: HttpRequest, run_id: int) -> HttpResponse:
    """Show or hide the run's spec to everyone (owner or staff)."""
    shared = request.POST.get("shared") == "1"
    run_set_shared(run=run_get_owned(run_id=run_id, viewer=request.user), shared=shared)
    return redirect("run-page", run_id=run_id)
