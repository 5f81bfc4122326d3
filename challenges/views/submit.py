"""The submit page: a spec editor prefilled with the starter (or a forked run's) spec."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from challenges.errors import ChallengeNotOpen, NotFound, QuotaExceeded, SubmissionRejected
from challenges.models import Challenge, Run
from challenges.selectors.ghosts import ghost_source_get
from challenges.selectors.visibility import challenge_get, fork_source_get
from challenges.services.submissions import quota_status, run_submit
from descent.forms import JSONTextField
from descent.ids import MAX_ID


class SubmitForm(forms.Form):
    """Parse the page's input: the spec as JSON text, a note, the run it was forked from."""

    spec = JSONTextField(
        root="spec", widget=forms.Textarea(attrs={"class": "code", "spellcheck": "false",
                                                  "data-code-editor": "json"})
    )
    note = forms.CharField(max_length=500, required=False)
    forked_from = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID,
                                     widget=forms.HiddenInput)
    ghost_run = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID,
                                   widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, challenge: Challenge, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.challenge = challenge

    def clean_forked_from(self) -> Run | None:
        run_id = self.cleaned_data.get("forked_from")
        if run_id is None:
            return None
        run = fork_source_get(run_id=run_id, viewer=self.user)
        if run is None:
            raise forms.ValidationError("no run with a spec you can see has that id")
        return run

    def clean_ghost_run(self) -> Run | None:
        run_id = self.cleaned_data.get("ghost_run")
        if run_id is None:
            return None
        try:
            return ghost_source_get(run_id=run_id, viewer=self.user, challenge=self.challenge)
        except (NotFound, ValueError) as exc:
            raise forms.ValidationError(str(exc)) from None


def _ghost_source(request: HttpRequest, challenge: Challenge) -> tuple[Run | None, str]:
    """Return the run named by ?race= if the visitor may race it here, else None and why."""
    raw = request.GET.get("race", "")
    if not raw:
        return None, ""
    if not raw.isdigit():
        return None, f"Cannot race {raw!r}: a run id is a number."
    try:
        return ghost_source_get(run_id=int(raw), viewer=request.user, challenge=challenge), ""
    except (NotFound, ValueError) as exc:
        return None, f"Cannot race run {raw}: {exc}."


def _spec_source(request: HttpRequest) -> tuple[Run | None, Run | None, str]:
    """Return (fork, edit, notice) for ?fork= or ?from= (the "edit this spec" links).

    `?from=` starts the editor from a run whose spec the visitor can see: one of their own is
    an edit (no lineage recorded); anyone else's is a fork, since it starts from their work.
    """
    key = "fork" if request.GET.get("fork") else "from"
    raw = request.GET.get(key, "")
    if not raw:
        return None, None, ""
    run = fork_source_get(run_id=raw, viewer=request.user)
    if run is None:
        return None, None, (f"Run {raw}'s spec is not visible to you; "
                            "starting from the starter spec.")
    if key == "from" and run.owner_id == request.user.pk:
        return None, run, ""
    return run, None, ""


def _initial(challenge: Challenge, fork: Run | None, ghost: Run | None,
             edit: Run | None = None) -> dict[str, Any]:
    source = fork or edit
    spec = source.spec if source is not None else challenge.starter_spec
    note = f"fork of run {fork.pk}" if fork is not None else ""
    if edit is not None:
        note = f"edit of run {edit.pk}"
    if ghost is not None:
        note = f"{note}; racing run {ghost.pk}" if note else f"racing run {ghost.pk}"
    return {
        "spec": json.dumps(spec or {"version": 1, "layers": []}, indent=2),
        "forked_from": fork.pk if fork is not None else None,
        "ghost_run": ghost.pk if ghost is not None else None,
        "note": note,
    }


@login_required
def submit_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Show the editor; on POST submit the spec and go to the new run, or say what is wrong."""
    challenge = challenge_get(slug=slug, viewer=request.user)
    context: dict[str, Any] = {
        "challenge": challenge,
        "spec_errors": [],
        "problem": "",
        "fork_notice": "",
        "race_notice": "",
    }
    status = 200
    if request.method == "POST":
        form = SubmitForm(request.POST, user=request.user, challenge=challenge)
        if form.is_valid():
            try:
                run = run_submit(
                    user=request.user,
                    challenge=challenge,
                    spec=form.cleaned_data["spec"],
                    note=form.cleaned_data["note"],
                    forked_from=form.cleaned_data["forked_from"],
                    ghost_run=form.cleaned_data["ghost_run"],
                )
            except SubmissionRejected as exc:
                context["spec_errors"] = sorted(exc.errors.items())
                status = 400
            except QuotaExceeded as exc:
                context["quota_exceeded"] = exc.quota
                status = 429
            except ChallengeNotOpen as exc:
                context["problem"] = str(exc)
                status = 403
            else:
                return redirect("run-page", run_id=run.pk)
        else:
            status = 400
    else:
        fork, edit, context["fork_notice"] = _spec_source(request)
        ghost, context["race_notice"] = _ghost_source(request, challenge)
        context["fork"], context["ghost"], context["edit"] = fork, ghost, edit
        form = SubmitForm(initial=_initial(challenge, fork, ghost, edit), user=request.user,
                          challenge=challenge)
    context["form"] = form
    context["quota"] = quota_status(user=request.user, challenge=challenge)
    context["accepts_submissions"] = challenge.accepts_submissions()
    # The CodeMirror bundle (`make frontend`); without it the textarea is the editor.
    context["spec_editor"] = (settings.BUILD_STATIC / "js" / "spec-editor.js").is_file()
    return render(request, "challenges/submit.html", context, status=status)
