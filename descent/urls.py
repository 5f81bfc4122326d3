"""The site's URLs: the home page, admin, health, the API and its schema, each app's pages."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from challenges.views.home_page import home_figures_view, home_page
from descent.views import healthz, version

# Under /api/ an error is JSON, also when no route matched (CONTRACT §3: errors are JSON).
handler400 = "descent.views.bad_request_view"
handler404 = "descent.views.not_found"
handler500 = "descent.views.server_error_view"

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
    # The split view serves its start-up script as a file: no inline script under the CSP.
    # Swagger UI styles itself with inline <style> elements: this page alone allows them.
    path("api/docs/", csp_replace({"style-src": [SELF, UNSAFE_INLINE]})(
        SpectacularSwaggerSplitView.as_view(url_name="schema")), name="api-docs"),
    path("", include("community.urls")),
    path("", include("challenges.urls")),
]
