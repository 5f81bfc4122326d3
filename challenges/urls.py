"""Challenge pages: list, challenge, submit, run (and the run owner's actions)."""

from django.urls import path

from challenges.views import challenge_pages, run_pages, submit

urlpatterns = [
    path("challenges/", challenge_pages.challenge_list, name="challenge-list"),
    path("challenges/<slug:slug>/", challenge_pages.challenge_page, name="challenge-page"),
    path("challenges/<slug:slug>/submit/", submit.submit_page, name="submit-page"),
    path("runs/<int:run_id>/", run_pages.run_page, name="run-page"),
    path("runs/<int:run_id>/cancel/", run_pages.run_cancel_view, name="run-cancel"),
    path("runs/<int:run_id>/share/", run_pages.run_share_view, name="run-share"),
]
