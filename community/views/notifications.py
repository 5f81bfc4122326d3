"""The notifications page and its mark-read form."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from community.selectors.notifications import notification_list
from community.services.notifications import notifications_mark_read
from community.views.common import safe_next


@login_required
def notification_page(request: HttpRequest) -> HttpResponse:
    """List the builder's notifications, newest first."""
    page = Paginator(notification_list(user=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "community/notifications.html", {"notifications": page})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark all (or the posted `id`) read and go back."""
    ids = [int(value) for value in request.POST.getlist("id") if value.isdigit()] or None
    notifications_mark_read(user=request.user, ids=ids)
    return redirect(safe_next(request, "/notifications/"))
