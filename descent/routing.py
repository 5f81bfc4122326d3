"""WebSocket routes of the whole site; each app adds its own list."""

from django.urls import path

from challenges.routing import websocket_urlpatterns as challenge_routes
from community.routing import websocket_urlpatterns as community_routes
from descent.consumers import PingConsumer, PresenceConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
    path("ws/presence/<slug:room>/", PresenceConsumer.as_asgi()),
    *community_routes,
    *challenge_routes,
]
