"""Board reads: categories, thread lists (sorted, searched), a thread's posts, votes."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.validators import slug_re
from django.db import connection
from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from community.models import Category, Post, Thread, User, Vote

# Sort keys of the board's thread list (`?sort=`). Pinned threads always come first.
THREAD_SORTS = {
    "active": ("-last_post_at", "-pk"),
    "newest": ("-created_at", "-pk"),
    "top": ("-score", "-created_at", "-pk"),
    # fork_count is bumped by the challenges app (thread_fork_count_increment).
    "most-forked": ("-fork_count", "-created_at", "-pk"),
}
DEFAULT_SORT = "active"


def category_by_slug(slug: str) -> Category:
    """Return the category `slug` names; `Http404` if none does or `slug` is not a slug."""
    if not slug_re.match(slug):  # a NUL byte would reach PostgreSQL, which refuses it
        raise Http404("No such category.")
    return get_object_or_404(Category, slug=slug)


def category_list() -> QuerySet[Category]:
    """Return the board's categories in their curated order."""
    return Category.objects.all()


def _opening_score() -> Subquery:
    opening = Post.objects.filter(thread=OuterRef("pk"), is_opening=True).values("score")[:1]
    return Coalesce(Subquery(opening, output_field=IntegerField()), Value(0))


def _search(threads: QuerySet[Thread], query: str) -> QuerySet[Thread]:
    """Filter threads whose title or any visible post matches `query`."""
    visible_posts = Post.objects.filter(thread=OuterRef("pk"), is_hidden=False)
    if connection.vendor == "postgresql":
        search = SearchQuery(query, search_type="websearch", config="english")
        matching_posts = visible_posts.annotate(
            document=SearchVector("body_markdown", config="english")
        ).filter(document=search)
        return threads.annotate(title_document=SearchVector("title", config="english")).filter(
            Q(title_document=search) | Exists(matching_posts)
        )
    # SQLite (the embedded default): a plain substring match is good enough for a demo board.
    matching_posts = visible_posts.filter(body_markdown__icontains=query)
    return threads.filter(Q(title__icontains=query) | Exists(matching_posts))


def thread_list(
    *, category: Category | None = None, sort: str = DEFAULT_SORT, search: str = ""
) -> QuerySet[Thread]:
    """Return threads, pinned first, then by `sort` (a THREAD_SORTS key)."""
    threads = Thread.objects.select_related("author", "category").annotate(score=_opening_score())
    if category is not None:
        threads = threads.filter(category=category)
    search = search.replace("\x00", "").strip()  # PostgreSQL refuses NUL in any text
    if search:
        threads = _search(threads, search)
    return threads.order_by("-is_pinned", *THREAD_SORTS.get(sort, THREAD_SORTS[DEFAULT_SORT]))


def thread_get(*, thread_id: int) -> Thread:
    """Return one thread with its opening score, or raise Http404."""
    threads = Thread.objects.select_related("author", "category").annotate(score=_opening_score())
    return get_object_or_404(threads, pk=thread_id)


def post_get(*, post_id: int) -> Post:
    """Return one post with its thread and author, or raise Http404."""
    return get_object_or_404(Post.objects.select_related("thread", "author"), pk=post_id)


def post_list(*, thread: Thread) -> QuerySet[Post]:
    """Return a thread's posts, opening post first, then replies oldest first."""
    return (
        Post.objects.filter(thread=thread)
        .select_related("author")
        .order_by("-is_opening", "created_at", "pk")
    )


def posts_by_author(*, author: User) -> QuerySet[Post]:
    """Return a builder's visible posts, newest first, with their threads."""
    return (
        Post.objects.filter(author=author, is_hidden=False)
        .select_related("thread")
        .order_by("-created_at", "-pk")
    )


def votes_by_user(*, user: User | None, posts: Iterable[Post]) -> dict[int, int]:
    """Return {post_id: value} of `user`'s votes on `posts` (empty for anonymous)."""
    if user is None or not user.is_authenticated:
        return {}
    rows = Vote.objects.filter(user=user, post__in=[post.pk for post in posts])
    return dict(rows.values_list("post_id", "value"))


def threads_newest(*, category_slug: str | None = None, limit: int = 5) -> list[Thread]:
    """Return the newest threads (of one category, if given), newest first, pins ignored."""
    threads = Thread.objects.select_related("author", "category").order_by("-created_at", "-pk")
    if category_slug is not None:
        threads = threads.filter(category__slug=category_slug)
    return list(threads[:limit])
