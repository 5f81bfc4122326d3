"""Community pages: accounts, profiles, the board, notifications."""

from django.contrib.auth import views as auth_views
from django.urls import path

from community.views import accounts, board, notifications, profiles
from descent.ids import ID_CONVERTER  # noqa: F401 (registers <id:...>)

urlpatterns = [
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    # A same-site `next` (Django checks the host) wins over the default page.
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="/board/"), name="logout"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        accounts.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/token/<str:action>/", accounts.token_action, name="token-action"),
    path("u/<path:username>/", profiles.profile, name="profile"),
    path("board/", board.board_index, name="board"),
    path("board/new/", board.thread_new, name="board-thread-new"),
    path("board/t/<id:thread_id>/", board.thread_page, name="board-thread"),
    path("board/t/<id:thread_id>/reply/", board.thread_reply, name="board-thread-reply"),
    path("board/t/<id:thread_id>/<str:action>/", board.thread_action, name="board-thread-action"),
    path("board/p/<id:post_id>/<str:action>/", board.post_action, name="board-post-action"),
    path("notifications/", notifications.notification_page, name="notifications"),
    path("notifications/settings/", notifications.notification_settings,
         name="notification-settings"),
    path("notifications/read/", notifications.notifications_read, name="notifications-read"),
]
