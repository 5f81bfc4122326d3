"""Challenge pages: list, challenge, submit, run."""

from django.urls import path

from challenges.views import pages

urlpatterns = [
    path("challenges/", pages.challenge_list, name="challenge-list"),
    path("challenges/<slug:slug>/", pages.challenge_page, name="challenge-page"),
    path("challenges/<slug:slug>/submit/", pages.submit_page, name="submit-page"),
    path("runs/<int:run_id>/", pages.run_page, name="run-page"),
]
