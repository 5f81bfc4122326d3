"""Challenge WebSocket routes (live leaderboards, run streams)."""

from django.urls import path

from challenges.consumers import ChallengeConsumer, RunConsumer
from descent.ids import ID_CONVERTER  # noqa: F401 (registers <id:...>)

websocket_urlpatterns = [
    path("ws/challenges/<slug:slug>/", ChallengeConsumer.as_asgi()),
    path("ws/runs/<id:run_id>/", RunConsumer.as_asgi()),
]
