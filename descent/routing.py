"""WebSocket routes of the whole site; each app adds its own list."""

from django.urls import path

from descent.consumers import PingConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
]
