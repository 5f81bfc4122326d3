"""Challenge WebSocket routes (live leaderboards, run streams)."""

websocket_urlpatterns: list = []
