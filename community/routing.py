"""Community WebSocket routes (notifications)."""

websocket_urlpatterns: list = []
