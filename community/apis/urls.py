"""Community API under /api/: auth, the board, notifications."""

from django.urls import path

from community.apis import auth, notifications, posts, threads
from descent.ids import ID_CONVERTER  # noqa: F401 (registers <id:...>)

urlpatterns = [
    path("auth/register/", auth.RegisterApi.as_view(), name="api-register"),
    path("auth/token/", auth.TokenApi.as_view(), name="api-token"),
    path("board/categories/", threads.CategoryListApi.as_view(), name="api-categories"),
    path("board/threads/", threads.ThreadListApi.as_view(), name="api-threads"),
    path("board/threads/<id:thread_id>/", threads.ThreadDetailApi.as_view(), name="api-thread"),
    path(
        "board/threads/<id:thread_id>/moderate/",
        threads.ThreadModerateApi.as_view(),
        name="api-thread-moderate",
    ),
    path(
        "board/threads/<id:thread_id>/posts/",
        posts.ThreadPostListApi.as_view(),
        name="api-thread-posts",
    ),
    path("board/posts/<id:post_id>/", posts.PostDetailApi.as_view(), name="api-post"),
    path("board/posts/<id:post_id>/vote/", posts.PostVoteApi.as_view(), name="api-post-vote"),
    path(
        "board/posts/<id:post_id>/report/", posts.PostReportApi.as_view(), name="api-post-report"
    ),
    path("board/posts/<id:post_id>/hide/", posts.PostHideApi.as_view(), name="api-post-hide"),
    path("notifications/", notifications.NotificationListApi.as_view(), name="api-notifications"),
    path(
        "notifications/read/",
        notifications.NotificationReadApi.as_view(),
        name="api-notifications-read",
    ),
]
