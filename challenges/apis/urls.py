"""Challenges API under /api/: challenges, submissions, leaderboards, runs."""

urlpatterns: list = []
