"""Challenge pages: list, challenge, submit, run (and the run owner's actions)."""

from django.urls import path

from challenges.views import blueprint_pages, challenge_pages, compare_pages, run_pages, submit
from descent.ids import ID_CONVERTER  # noqa: F401 (registers <id:...>)

urlpatterns = [
    path("challenges/", challenge_pages.challenge_list, name="challenge-list"),
    path("challenges/<slug:slug>/", challenge_pages.challenge_page, name="challenge-page"),
    path("challenges/<slug:slug>/submit/", submit.submit_page, name="submit-page"),
    path("runs/<id:run_id>/", run_pages.run_page, name="run-page"),
    path("compare/", compare_pages.compare_page, name="compare"),
    path("runs/<id:run_id>/cancel/", run_pages.run_cancel_view, name="run-cancel"),
    path("runs/<id:run_id>/share/", run_pages.run_share_view, name="run-share"),
    path("blueprint/", blueprint_pages.blueprint_page, name="blueprint"),
    # Before the lesson pages, so a node may never be slugged "step".
    path("blueprint/step/", blueprint_pages.stepper_page, name="stepper"),
    path("blueprint/<slug:slug>/", blueprint_pages.lesson_page, name="lesson-page"),
    path("blueprint/<slug:slug>/quiz/", blueprint_pages.quiz_view, name="lesson-quiz"),
    path("challenges/<slug:slug>/lab/", blueprint_pages.lab_start_view, name="lab-start"),
    path("lab/<uuid:group>/", blueprint_pages.lab_page, name="lab-page"),
    path("glossary/", blueprint_pages.glossary_page, name="glossary"),
    path("faq/", blueprint_pages.faq_page, name="faq"),
]
