"""Community API under /api/: auth and the board."""

urlpatterns: list = []
