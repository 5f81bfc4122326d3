"""Challenge pages (server-rendered): list, challenge, submit, run."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from challenges.models import Challenge, Run


def challenge_list(request: HttpRequest) -> HttpResponse:
    challenges = Challenge.objects.exclude(status=Challenge.Status.DRAFT)
    return render(request, "challenges/challenge_list.html", {"challenges": challenges})


def challenge_page(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = get_object_or_404(Challenge.objects.exclude(status=Challenge.Status.DRAFT),
                                  slug=slug)
    return render(request, "challenges/challenge.html", {"challenge": challenge})


def submit_page(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = get_object_or_404(Challenge, slug=slug)
    return render(request, "challenges/submit.html", {"challenge": challenge})


def run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(Run, pk=run_id)
    return render(request, "challenges/run.html", {"run": run})
