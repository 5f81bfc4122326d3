"""Board pages: the index, a thread, a new thread, and the forms posted from a thread."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from community.attachments import (
    AttachmentError,
    attachment_choices,
    attachment_clean,
    attachment_keys,
    attachments_for_posts,
)
from community.errors import CommunityError, InvalidInput
from community.forms import HideForm, ReplyForm, ReportForm, ThreadForm, run_picker
from community.models import Category
from community.permissions import can_edit, can_reply, is_moderator
from community.selectors.board import (
    DEFAULT_SORT,
    THREAD_SORTS,
    category_by_slug,
    category_list,
    post_get,
    post_list,
    thread_get,
    thread_list,
    votes_by_user,
)
from community.services.moderation import post_hide, post_unhide, report_create
from community.services.posts import post_create, post_delete
from community.services.threads import thread_create, thread_moderate
from community.services.votes import post_vote

THREADS_PER_PAGE = 25
POSTS_PER_PAGE = 50


def board_index(request: HttpRequest) -> HttpResponse:
    """List threads: by category, sorted, searched, paginated."""
    category = None
    if request.GET.get("category"):
        category = category_by_slug(request.GET["category"])
    sort = request.GET.get("sort") if request.GET.get("sort") in THREAD_SORTS else DEFAULT_SORT
    query = request.GET.get("q", "").strip()
    threads = thread_list(category=category, sort=sort, search=query)
    page = Paginator(threads, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "community/board_index.html",
        {
            "categories": category_list(),
            "category": category,
            "sort": sort,
            "sorts": list(THREAD_SORTS),
            "query": query,
            "threads": page,
        },
    )


def thread_page(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Show a thread with its replies, and the reply form, votes, reports and moderation."""
    thread = thread_get(thread_id=thread_id)
    page = Paginator(post_list(thread=thread), POSTS_PER_PAGE).get_page(request.GET.get("page"))
    viewer = request.user if request.user.is_authenticated else None
    posts = list(page.object_list)
    votes = votes_by_user(user=viewer, posts=posts)
    cards = attachments_for_posts(posts, viewer)
    rows = [
        {
            "post": post,
            "my_vote": votes.get(post.pk),
            "cards": cards.get(post.pk, []),
            "can_edit": can_edit(viewer, post),
            "can_vote": viewer is not None and post.author_id != viewer.pk,
        }
        for post in posts
    ]
    return render(
        request,
        "community/thread.html",
        {
            "thread": thread,
            "page": page,
            "rows": rows,
            "reply_form": ReplyForm(),
            "can_reply": can_reply(viewer, thread),
            "is_moderator": is_moderator(viewer),
        },
    )


@login_required
def thread_new(request: HttpRequest) -> HttpResponse:
    """Start a thread, optionally with an attached run card."""
    initial = {"category": request.GET.get("category"), "run": request.GET.get("run")}
    form = ThreadForm(request.POST or None, initial=initial)
    if not is_moderator(request.user):
        form.fields["category"].queryset = Category.objects.filter(staff_only=False)
    run_cards = "run" in attachment_keys()
    if not run_cards:
        del form.fields["run"]
    else:
        choices = attachment_choices(key="run", user=request.user)
        if choices is not None:
            form.fields["run"] = run_picker(choices)
            picked = dict(choices).get(_int_or_none(initial["run"]))
            if picked and not request.POST:
                form.initial["title"] = f"Debrief: run {picked.split(' · ')[0]}"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        cleaned = {}
        try:
            if run_cards and data.get("run") is not None:
                cleaned["run"] = attachment_clean(key="run", value=data["run"], user=request.user)
            thread, _post = thread_create(
                author=request.user,
                category=data["category"],
                title=data["title"],
                body=data["body"],
                attachments_cleaned=cleaned,
            )
        except AttachmentError as exc:
            form.add_error("run", str(exc))
        except CommunityError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect(thread.get_absolute_url())
    return render(request, "community/thread_new.html", {"form": form})


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
@require_POST
def thread_reply(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Post a reply from the thread page."""
    thread = thread_get(thread_id=thread_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write something before replying.")
        return redirect(thread.get_absolute_url())
    try:
        post = post_create(thread=thread, author=request.user, body=form.cleaned_data["body"])
    except CommunityError as exc:
        messages.error(request, exc.message.capitalize() + ".")
        return redirect(thread.get_absolute_url())
    return redirect(post.get_absolute_url())


@login_required
@require_POST
def post_action(request: HttpRequest, post_id: int, action: str) -> HttpResponse:
    """Handle a post's buttons: vote up/down, report, hide/unhide (staff), delete."""
    post = post_get(post_id=post_id)
    back = post.get_absolute_url()
    try:
        if action in {"up", "down"}:
            post_vote(post=post, user=request.user, value=1 if action == "up" else -1)
        elif action == "report":
            form = ReportForm(request.POST)
            if not form.is_valid():
                raise InvalidInput("say what is wrong with the post", field="reason")
            report_create(post=post, reporter=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, "Thanks; a moderator will look at it.")
        elif action == "hide":
            form = HideForm(request.POST)
            if not form.is_valid():
                raise InvalidInput("say why the post is hidden", field="reason")
            post_hide(post=post, moderator=request.user, reason=form.cleaned_data["reason"])
        elif action == "unhide":
            post_unhide(post=post, moderator=request.user)
        elif action == "delete":
            post_delete(post=post, actor=request.user)
            messages.success(request, "Deleted.")
            return redirect("/board/" if post.is_opening else f"/board/t/{post.thread_id}/")
    except CommunityError as exc:
        messages.error(request, exc.message[:1].upper() + exc.message[1:] + ".")
    return redirect(back)


@login_required
@require_POST
def thread_action(request: HttpRequest, thread_id: int, action: str) -> HttpResponse:
    """Handle a thread's moderation buttons: pin, unpin, lock, unlock (staff)."""
    thread = thread_get(thread_id=thread_id)
    changes = {
        "pin": {"is_pinned": True},
        "unpin": {"is_pinned": False},
        "lock": {"is_locked": True},
        "unlock": {"is_locked": False},
    }
    try:
        thread_moderate(thread=thread, moderator=request.user, **changes.get(action, {}))
    except CommunityError as exc:
        messages.error(request, exc.message[:1].upper() + exc.message[1:] + ".")
    return redirect(thread.get_absolute_url())
