"""Extension point: cards attached to posts (run cards), provided by other apps.

Community never imports the apps that build on it (`challenges → community`, never the
reverse). An app that wants to attach something to a post registers a provider, usually in
its `AppConfig.ready()`:

    register_post_attachment(PostAttachmentProvider(
        key="run",                     # the input key on POST /api/board/threads/ and .../posts/
        validate=run_for_attachment,   # (value, user) -> cleaned object; raise AttachmentError
        attach=post_run_link_create,   # (post, cleaned) -> None; runs inside post creation's
                                       # transaction, so a failure rolls the post back
        cards=run_cards_for_posts,     # (posts, viewer) -> {post_id: [AttachmentCard, ...]}
        choices=run_choices_for,       # optional: (user) -> [(value, label), ...] for a picker
    ))

`cards` is called once per page of posts (batch your queries). `AttachmentCard.data` must be
JSON-serialisable (the API's `attachments` field); `AttachmentCard.html` is put on the page
as is, so build it with `format_html` or a template, never by concatenating user text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from community.models import Post, User


class AttachmentError(Exception):
    """A provider refuses an attachment value; the message is shown to the caller."""


@dataclass(frozen=True)
class AttachmentCard:
    """What a provider shows for one attachment of one post."""

    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)
    html: str = ""

    def safe_html(self) -> SafeString:
        """Return the provider's HTML, which it promised to have escaped."""
        return mark_safe(self.html)  # noqa: S308 (the provider builds it with format_html)


@dataclass(frozen=True)
class PostAttachmentProvider:
    """One kind of attachment: how to validate, store and show it."""

    key: str
    validate: Callable[[Any, User], Any]
    attach: Callable[[Post, Any], None]
    cards: Callable[[Sequence[Post], User | None], Mapping[int, Sequence[AttachmentCard]]]
    # What the user could attach, newest first, for the new-thread form's picker; None: the
    # form asks for the value as typed text instead.
    choices: Callable[[User], Sequence[tuple[Any, str]]] | None = None


_providers: dict[str, PostAttachmentProvider] = {}


def register_post_attachment(provider: PostAttachmentProvider) -> None:
    """Register (or replace, keyed by `provider.key`) an attachment provider."""
    _providers[provider.key] = provider


def unregister_post_attachment(key: str) -> None:
    """Remove the provider for `key`, if any (tests)."""
    _providers.pop(key, None)


def attachment_keys() -> list[str]:
    """Return the input keys that registered providers accept."""
    return sorted(_providers)


def attachment_choices(*, key: str, user: User) -> list[tuple[Any, str]] | None:
    """Return [(value, label), ...] the user may attach under `key`, or None (no picker)."""
    provider = _providers.get(key)
    if provider is None or provider.choices is None:
        return None
    return list(provider.choices(user))


def attachment_clean(*, key: str, value: Any, user: User) -> Any:
    """Validate one attachment input; raise AttachmentError with a message for the caller."""
    provider = _providers.get(key)
    if provider is None:
        raise AttachmentError(f"{key} cards are not available")
    return provider.validate(value, user)


def attachments_attach(*, post: Post, cleaned: Mapping[str, Any]) -> None:
    """Store the cleaned attachments of a new post through their providers."""
    for key, value in cleaned.items():
        _providers[key].attach(post, value)


def attachments_for_posts(
    posts: Iterable[Post], viewer: User | None
) -> dict[int, list[AttachmentCard]]:
    """Collect every provider's cards for `posts`: {post_id: [card, ...]}."""
    posts = list(posts)
    cards: dict[int, list[AttachmentCard]] = {post.pk: [] for post in posts}
    if not posts:
        return cards
    for key in sorted(_providers):
        for post_id, post_cards in _providers[key].cards(posts, viewer).items():
            cards.setdefault(post_id, []).extend(post_cards)
    return cards
