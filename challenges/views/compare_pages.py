"""The compare page: runs side by side, a leaderboard's hyperparameters, two specs' diff."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from challenges.selectors.compare import (
    MAX_COMPARED,
    TOP_DEFAULT,
    compare_curves,
    leaderboard_coordinates,
    my_run_ids,
    parse_run_ids,
    runs_compared,
    spec_diff,
    thread_fork_run_ids,
    top_run_ids,
)
from challenges.selectors.visibility import challenge_get, challenges_published


def compare_page(request: HttpRequest) -> HttpResponse:
    """Overlay the loss curves of the runs asked for (`?runs=1,2,3`, or a picker's).

    Pickers: `?challenge=<slug>&pick=mine` (your latest runs there), `pick=top` (the
    leaderboard's first `top`, default 5), `?thread=<id>` (a thread's run cards and their
    forks). With a challenge, the page also draws its leaderboard in parallel coordinates.
    """
    ids, problems = parse_run_ids(request.GET.get("runs", ""))
    slug = request.GET.get("challenge", "")
    challenge = challenge_get(slug=slug, viewer=request.user) if slug else None
    pick = request.GET.get("pick", "")
    picked: list[int] = []
    if challenge is not None and pick == "mine":
        picked = my_run_ids(viewer=request.user, challenge=challenge)
    elif challenge is not None and pick == "top":
        top = request.GET.get("top", "")
        limit = min(int(top), MAX_COMPARED) if top.isdigit() and int(top) > 0 else TOP_DEFAULT
        picked = top_run_ids(challenge=challenge, limit=limit)
    elif pick:
        problems.append("pick needs a challenge: ?challenge=<slug>&pick=mine or pick=top")
    thread = request.GET.get("thread", "")
    if thread.isdigit() and len(thread) < 12:
        picked += thread_fork_run_ids(thread_id=int(thread))
    elif thread:
        problems.append(f"'{thread[:20]}' is not a thread id; use its number, e.g. ?thread=3")
    ids = list(dict.fromkeys([*ids, *picked]))[:MAX_COMPARED]
    runs = runs_compared(run_ids=ids, viewer=request.user)
    shown = {run.pk for run in runs}
    problems += [f"no run #{run_id} that you can see" for run_id in ids if run_id not in shown]
    if challenge is None and runs:
        challenge = runs[0].challenge
    context = {
        "runs": runs,
        "curves": compare_curves(runs),
        "problems": problems,
        "challenge": challenge,
        "challenges": challenges_published(),
        "coordinates": (leaderboard_coordinates(challenge=challenge, viewer=request.user)
                        if challenge is not None else None),
        "diff": (spec_diff(left=runs[0], right=runs[1], viewer=request.user)
                 if len(runs) == 2 else None),
        "runs_text": ",".join(str(run.pk) for run in runs),
        "max_compared": MAX_COMPARED,
    }
    return render(request, "challenges/compare.html", context)
