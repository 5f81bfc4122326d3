"""Blueprint pages: the map, a node's lesson and quiz, the lab, the glossary and the FAQ."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from challenges.errors import ChallengeNotOpen, LabBusy, NodeLocked, QuizInvalid, SubmissionRejected
from challenges.lessons import render_lesson
from challenges.models import BlueprintNode
from challenges.selectors.blueprint import NodeState, blueprint_states, node_state_of
from challenges.selectors.history import public_record, run_histories
from challenges.selectors.lab import lab_explain, lab_labels
from challenges.selectors.stepper import (
    MAX_LEARNING_RATE,
    MIN_LEARNING_RATE,
    STEPPER_OPTIMIZERS,
    step_trace,
)
from challenges.selectors.visibility import challenge_get, lab_runs, node_get, run_spec_visible
from challenges.services.blueprint import quiz_answer
from challenges.services.lab import lab_submit
from challenges.world import CONTENT_DIR, FAQ_FILE, GLOSSARY_FILE, load_faq, load_glossary
from descent.forms import JSONTextField

# The map: one row per prerequisite depth, nodes side by side in map order.
NODE_WIDTH, NODE_HEIGHT, GAP_X, GAP_Y, MARGIN = 210, 84, 30, 56, 20


def map_layout(states: list[NodeState]) -> dict[str, Any]:
    """Place nodes in rows by prerequisite depth; return boxes, edges and the SVG's size."""
    rows: dict[int, list[NodeState]] = {}
    for state in states:
        rows.setdefault(state.depth, []).append(state)
    widest = max((len(row) for row in rows.values()), default=1)
    width = 2 * MARGIN + widest * NODE_WIDTH + (widest - 1) * GAP_X
    boxes, where = [], {}
    for depth in sorted(rows):
        row = rows[depth]
        row_width = len(row) * NODE_WIDTH + (len(row) - 1) * GAP_X
        for index, state in enumerate(row):
            x = (width - row_width) / 2 + index * (NODE_WIDTH + GAP_X)
            y = MARGIN + depth * (NODE_HEIGHT + GAP_Y)
            where[state.slug] = (x, y)
            boxes.append({"state": state, "x": x, "y": y,
                          "title": _shorten(state.node.title, 28)})
    edges = []
    cleared = {state.slug: state.state == "cleared" for state in states}
    for state in states:
        x2, y2 = where[state.slug]
        for slug in state.prerequisites:
            x1, y1 = where[slug]
            start = (x1 + NODE_WIDTH / 2, y1 + NODE_HEIGHT)
            end = (x2 + NODE_WIDTH / 2, y2)
            edges.append({"path": _circuit_trace(start, end), "to": state.slug, "source": slug,
                          "start": start, "end": end, "live": cleared.get(slug, False)})
    height = 2 * MARGIN + (max(rows, default=0) + 1) * (NODE_HEIGHT + GAP_Y) - GAP_Y
    return {"boxes": boxes, "edges": edges, "width": width, "height": height,
            "node_width": NODE_WIDTH, "node_height": NODE_HEIGHT}


def _circuit_trace(start: tuple[float, float], end: tuple[float, float]) -> str:
    """Draw a prerequisite as a circuit trace: down, across, down, with rounded corners."""
    (x1, y1), (x2, y2) = start, end
    middle = (y1 + y2) / 2
    if abs(x2 - x1) < 1:
        return f"M{x1:.0f},{y1:.0f} V{y2:.0f}"
    radius = min(10.0, abs(x2 - x1) / 2, (y2 - y1) / 4)
    step = radius if x2 > x1 else -radius
    return (f"M{x1:.0f},{y1:.0f} V{middle - radius:.0f} Q{x1:.0f},{middle:.0f} "
            f"{x1 + step:.0f},{middle:.0f} H{x2 - step:.0f} Q{x2:.0f},{middle:.0f} "
            f"{x2:.0f},{middle + radius:.0f} V{y2:.0f}")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def blueprint_page(request: HttpRequest) -> HttpResponse:
    """Show the learning path as a map, with the visitor's state of every node."""
    states = blueprint_states(user=request.user)
    return render(request, "challenges/blueprint.html", {
        "states": states, "map": map_layout(states),
        "cleared": sum(1 for s in states if s.state == "cleared"),
    })


def _lesson_context(request: HttpRequest, node: BlueprintNode,
                    states: list[NodeState] | None = None) -> dict[str, Any]:
    # A quiz answer passes the states it worked out: they are not read again.
    if states is None:
        states = blueprint_states(user=request.user)
    state = node_state_of(states, node)
    questions = [
        {"key": q.key, "html": render_lesson(q.text),
         "choices": [{"key": c.key, "text": c.text} for c in q.choices.all()]}
        for q in node.questions.all()
    ]
    unlocks = [s for s in states if node.challenge.slug in s.prerequisites]
    return {
        "node": node, "state": state, "challenge": node.challenge,
        "lesson_html": render_lesson(node.challenge.lesson),
        "questions": questions, "unlocks": unlocks,
        "snippet_json": json.dumps(node.snippet, indent=2) if node.snippet else "",
        "careless_json": (json.dumps(node.careless_snippet, indent=2)
                          if node.careless_snippet else ""),
        "careless_why_html": render_lesson(node.careless_why) if node.careless_why else "",
        "results": None, "quiz_errors": {},
        "accepts_submissions": node.challenge.accepts_submissions(),
    }


def lesson_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a node's lesson, its snippet ('Try it'), the lab launcher and the quiz."""
    node = node_get(slug=slug)
    return render(request, "challenges/lesson.html", _lesson_context(request, node))


@login_required
@require_POST
def quiz_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Answer the quiz from the lesson page; show the lesson again with the explanations."""
    node = node_get(slug=slug)
    answers = {key[len("q-"):]: value for key, value in request.POST.items()
               if key.startswith("q-")}
    status = 200
    result, errors = None, {}
    try:
        result = quiz_answer(user=request.user, node=node, answers=answers)
    except NodeLocked as exc:
        errors, status = {"answers": [str(exc)]}, 403
    except QuizInvalid as exc:
        errors, status = exc.errors, 400
    context = _lesson_context(request, node, result.states if result is not None else None)
    context["quiz_errors"] = errors
    if result is not None:
        by_key = {r.key: r for r in result.results}
        for question in context["questions"]:
            outcome = by_key[question["key"]]
            question["result"] = outcome
            question["explanation_html"] = render_lesson(outcome.explanation)
        context["results"] = result
    return render(request, "challenges/lesson.html", context, status=status)


class LabForm(forms.Form):
    spec = JSONTextField(root="spec",
                         widget=forms.Textarea(attrs={"class": "code", "rows": 12}))


@login_required
def lab_start_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Start a lab from a spec (GET: the form, prefilled with the starter spec)."""
    challenge = challenge_get(slug=slug, viewer=request.user)
    problem, status = "", 200
    if request.method == "POST":
        form = LabForm(request.POST)
        if form.is_valid():
            try:
                runs = lab_submit(user=request.user, challenge=challenge,
                                  spec=form.cleaned_data["spec"])
            except SubmissionRejected as exc:
                problem = "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(exc.errors.items()))
                status = 400
            except ChallengeNotOpen as exc:
                problem, status = str(exc), 403
            except LabBusy as exc:
                problem, status = str(exc), 429
            else:
                return redirect("lab-page", group=runs[0].lab_group)
        else:
            status = 400
    else:
        form = LabForm(initial={"spec": json.dumps(challenge.starter_spec, indent=2)})
    return render(request, "challenges/lab_start.html",
                  {"challenge": challenge, "form": form, "problem": problem}, status=status)


def lab_page(request: HttpRequest, group: uuid.UUID) -> HttpResponse:
    """Show a lab's three runs on one live chart, with what happened to each."""
    runs = lab_runs(group=group, viewer=request.user)
    histories = run_histories(runs)
    # Absolute rates reveal the spec: only those who may see it see them (docs/challenges.md).
    show_rates = all(run_spec_visible(run, request.user) for run in runs)
    labels = lab_labels(runs)
    labelled = []
    for run in sorted(runs, key=lambda r: float(r.spec["optimizer"]["learning_rate"])):
        rate = float(run.spec["optimizer"]["learning_rate"])
        labelled.append({"run": run, "rate": rate if show_rates else None,
                         "label": labels[run.pk], "history": histories[run.pk]
                         if show_rates else [public_record(r) for r in histories[run.pk]]})
    challenge = runs[0].challenge
    node = BlueprintNode.objects.filter(challenge=challenge).first()
    return render(request, "challenges/lab.html", {
        "group": group, "runs": labelled, "challenge": challenge, "node": node,
        "explanation": lab_explain(runs, show_rates=show_rates),
        "histories": [{"id": item["run"].pk, "label": item["label"] if item["rate"] is None
                       else f"{item['label']} ({item['rate']:g})",
                       "status": item["run"].status, "history": item["history"]}
                      for item in labelled],
        "is_owner": request.user.is_authenticated and runs[0].owner_id == request.user.pk,
        "spec_json": json.dumps(labelled[1]["run"].spec if len(labelled) > 1
                                else labelled[0]["run"].spec, indent=2),
    })


def glossary_page(request: HttpRequest) -> HttpResponse:
    """Show the glossary: each term with its formula, engine Python and a spec to try."""
    entries = [asdict(entry) | {"html": render_lesson(entry.text),
                                "spec_json": json.dumps(entry.spec, indent=2)}
               for entry in load_glossary(CONTENT_DIR / GLOSSARY_FILE)]
    return render(request, "challenges/glossary.html", {"entries": entries})


def faq_page(request: HttpRequest) -> HttpResponse:
    """Show the FAQ."""
    entries = [asdict(entry) | {"html": render_lesson(entry.answer)}
               for entry in load_faq(CONTENT_DIR / FAQ_FILE)]
    return render(request, "challenges/faq.html", {"entries": entries})


def stepper_page(request: HttpRequest) -> HttpResponse:
    """Step through one real training step, line by line, at a learning rate of your choice."""
    return render(request, "challenges/stepper.html", {
        "trace": step_trace(),
        "optimizers": STEPPER_OPTIMIZERS,
        "max_learning_rate": MAX_LEARNING_RATE,
        "min_learning_rate": MIN_LEARNING_RATE,
    })
