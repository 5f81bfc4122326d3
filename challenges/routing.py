"""Challenge WebSocket routes (live leaderboards, run streams)."""

from django.urls import path

from challenges.consumers import ChallengeConsumer, RunConsumer

websocket_urlpatterns = [
    path("ws/challenges/<slug:slug>/", ChallengeConsumer.as_asgi()),
    path("ws/runs/<int:run_id>/", RunConsumer.as_asgi()),
]
