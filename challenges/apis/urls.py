"""Challenges API under /api/: challenges, submissions, leaderboards, runs."""

from django.urls import path

from challenges.apis.blueprint import BlueprintApi, LabApi, LabDetailApi, QuizApi
from challenges.apis.challenges import ChallengeDetailApi, ChallengeListApi, LeaderboardApi
from challenges.apis.instruments import LabTerrainApi, RunInstrumentsApi
from challenges.apis.runs import (
    ChallengeVerifyApi,
    MyRunsApi,
    RunCancelApi,
    RunDetailApi,
    RunShareApi,
    RunVerifyApi,
    SubmissionApi,
)
from challenges.apis.stepper import StepApi
from descent.ids import ID_CONVERTER  # noqa: F401 (registers <id:...>)

urlpatterns = [
    path("challenges/", ChallengeListApi.as_view(), name="api-challenges"),
    path("challenges/<slug:slug>/", ChallengeDetailApi.as_view(), name="api-challenge"),
    path("challenges/<slug:slug>/submissions/", SubmissionApi.as_view(),
         name="api-submissions"),
    path("challenges/<slug:slug>/runs/", MyRunsApi.as_view(), name="api-my-runs"),
    path("challenges/<slug:slug>/leaderboard/", LeaderboardApi.as_view(),
         name="api-leaderboard"),
    path("runs/<id:run_id>/", RunDetailApi.as_view(), name="api-run"),
    path("runs/<id:run_id>/cancel/", RunCancelApi.as_view(), name="api-run-cancel"),
    path("runs/<id:run_id>/share/", RunShareApi.as_view(), name="api-run-share"),
    path("runs/<id:run_id>/verify/", RunVerifyApi.as_view(), name="api-run-verify"),
    path("challenges/<slug:slug>/verify/", ChallengeVerifyApi.as_view(),
         name="api-challenge-verify"),
    path("runs/<id:run_id>/instruments/", RunInstrumentsApi.as_view(),
         name="api-run-instruments"),
    path("labs/<uuid:group>/terrain/", LabTerrainApi.as_view(), name="api-lab-terrain"),
    path("blueprint/", BlueprintApi.as_view(), name="api-blueprint"),
    path("blueprint/step/", StepApi.as_view(), name="api-blueprint-step"),
    path("blueprint/<slug:slug>/quiz/", QuizApi.as_view(), name="api-blueprint-quiz"),
    path("challenges/<slug:slug>/lab/", LabApi.as_view(), name="api-lab"),
    path("labs/<uuid:group>/", LabDetailApi.as_view(), name="api-lab-detail"),
]
