"""Community API under /api/: auth, the board, notifications."""

from django.urls import path

from community.apis import auth, notifications, posts, threads

urlpatterns = [
    path("auth/register/", auth.RegisterApi.as_view(), name="api-register"),
    path("auth/token/", auth.TokenApi.as_view(), name="api-token"),
    path("board/categories/", threads.CategoryListApi.as_view(), name="api-categories"),
    path("board/threads/", threads.ThreadListApi.as_view(), name="api-threads"),
    path("board/threads/<int:thread_id>/", threads.ThreadDetailApi.as_view(), name="api-thread"),
    path(
        "board/threads/<int:thread_id>/moderate/",
        threads.ThreadModerateApi.as_view(),
        name="api-thread-moderate",
    ),
    path(
        "board/threads/<int:thread_id>/posts/",
        posts.ThreadPostListApi.as_view(),
        name="api-thread-posts",
    ),
    path("board/posts/<int:post_id>/", posts.PostDetailApi.as_view(), name="api-post"),
    path("board/posts/<int:post_id>/vote/", posts.PostVoteApi.as_view(), name="api-post-vote"),
    path(
        "board/posts/<int:post_id>/report/", posts.PostReportApi.as_view(), name="api-post-report"
    ),
    path("board/posts/<int:post_id>/hide/", posts.PostHideApi.as_view(), name="api-post-hide"),
    path("notifications/", notifications.NotificationListApi.as_view(), name="api-notifications"),
    path(
        "notifications/read/",
        notifications.NotificationReadApi.as_view(),
        name="api-notifications-read",
    ),
]
