"""Template tags: the header's notification bell."""

from __future__ import annotations

from typing import Any

from django import template

from community.selectors.notifications import notification_list, notification_unread_count

register = template.Library()


@register.inclusion_tag("community/_bell.html", takes_context=True)
def notification_bell(context: dict[str, Any]) -> dict[str, Any]:
    """Render the bell: unread count, the latest notifications, and the live-update script."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    return {
        "show": True,
        "unread": notification_unread_count(user_id=user.pk),
        "latest": list(notification_list(user=user)[:8]),
        "csrf_token": context.get("csrf_token"),
    }
