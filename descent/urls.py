"""The site's URLs: the home page, admin, health, the API and its schema, each app's pages."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from challenges.views.home_page import home_figures_view, home_page
from descent.views import healthz, version

urlpatterns = [
    path("", home_page, name="home"),
    path("home/figures/", home_figures_view, name="home-figures"),
    # Browsers and crawlers ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.ico"), permanent=True)),
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
