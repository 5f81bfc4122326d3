"""Challenge pages: list, challenge, submit, run."""

urlpatterns: list = []
