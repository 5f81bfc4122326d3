"""Who may do what on the board: the rules services enforce and templates consult."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.models import Post, Thread, User


def is_moderator(user: User | None) -> bool:
    """Staff moderate the board."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def can_edit(user: User | None, obj: Post | Thread) -> bool:
    """Authors edit and delete their own posts and threads; staff edit and delete all."""
    if user is None or not user.is_authenticated:
        return False
    return is_moderator(user) or obj.author_id == user.pk


def can_reply(user: User | None, thread: Thread) -> bool:
    """Anyone signed in replies to an unlocked thread; staff also to a locked one."""
    if user is None or not user.is_authenticated:
        return False
    return not thread.is_locked or is_moderator(user)
