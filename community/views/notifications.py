"""The notifications page, its mark-read form and the notification settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from community.errors import InvalidInput
from community.selectors.notifications import notification_list, notification_preferences
from community.services.notifications import (
    notification_preferences_set,
    notifications_mark_read,
)
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


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    """Show which kinds of notification the builder hears about; POST: the ones to hear.

    The form lists every kind with a checkbox that is ticked when the builder hears it, so
    an unticked box (absent from the POST) mutes that kind.
    """
    status = 200
    if request.method == "POST":
        heard = set(request.POST.getlist("hear"))
        kinds = {row["kind"] for row in notification_preferences(user=request.user)}
        try:
            unknown = sorted(heard - kinds)
            if unknown:
                raise InvalidInput(f"unknown notification kind {unknown[0]!r}; choose from "
                                   f"{', '.join(sorted(kinds))}", field="hear")
            notification_preferences_set(user=request.user, muted=kinds - heard)
        except InvalidInput as exc:
            messages.error(request, f"{exc.field}: {exc.message}")
            status = 400
        else:
            messages.success(request, "Notification settings saved.")
            return redirect("notification-settings")
    return render(request, "community/notification_settings.html",
                  {"preferences": notification_preferences(user=request.user)}, status=status)
