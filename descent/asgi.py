"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "descent.settings.local")
# Django must be set up before anything imports models (the routing below does).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from descent.body_limit import BodySizeLimit  # noqa: E402
from descent.routing import websocket_urlpatterns  # noqa: E402
from descent.websocket_guards import ConnectionCap, OriginOrToken, TokenUser  # noqa: E402

http_app = ASGIStaticFilesHandler(django_asgi_app) if settings.DEBUG else django_asgi_app

# WebSockets: origin (or token) first, then who the user is, then the per-address cap; each
# consumer adds the inbound limits (descent/websocket_guards.py).
application = ProtocolTypeRouter(
    {
        "http": BodySizeLimit(http_app),
        "websocket": OriginOrToken(
            AuthMiddlewareStack(TokenUser(ConnectionCap(URLRouter(websocket_urlpatterns))))
        ),
    }
)
