"""Community pages: accounts, profiles, the board."""

urlpatterns: list = []
