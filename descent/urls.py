"""The site's URLs: admin, health, the API and its schema, and each app's pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from descent.views import healthz, version

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/version/", version, name="api-version"),
    path("api/", include("community.apis.urls")),
    path("api/", include("challenges.apis.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include("community.urls")),
    path("", include("challenges.urls")),
]
