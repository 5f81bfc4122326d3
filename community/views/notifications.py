"""The notifications page and its mark-read form."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from community.selectors.notifications import notification_list
from community.services.notifications import notifications_mark_read
from community.views.common import safe_next
from descent.ids import MAX_ID, id_in_range


@login_required
def notification_page(request: HttpRequest) -> HttpResponse:
    """List the builder's notifications, newest first."""
    page = Paginator(notification_list(user=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "community/notifications.html", {"notifications": page})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark all (or the posted `id`) read and go back."""
    values = request.POST.getlist("id")
    ids = [int(value) for value in values if value.isdigit() and len(value) <= 19]
    if len(ids) != len(values) or not all(id_in_range(i) for i in ids):
        return HttpResponseBadRequest("id: each id must be a notification's number "
                                      f"(1 to {MAX_ID})", content_type="text/plain")
    notifications_mark_read(user=request.user, ids=ids or None)
    return redirect(safe_next(request, "/notifications/"))
