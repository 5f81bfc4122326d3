"""Votes: one per builder per post, never on one's own post, score kept with F() updates."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from community.errors import InvalidInput, NotAllowed
from community.models import Post, User, Vote


@transaction.atomic
def post_vote(*, post: Post, user: User, value: int = Vote.UP) -> tuple[Vote, bool]:
    """Record `user`'s vote on `post`; return (vote, changed).

    Voting again with the same value changes nothing; with the other value it flips the
    vote. Two concurrent first votes meet the unique constraint: the loser falls back to the
    existing row, so the score moves once.
    """
    if value not in (Vote.UP, Vote.DOWN):
        raise InvalidInput("vote 1 (up) or -1 (down)", field="value")
    if post.author_id == user.pk:
        raise NotAllowed("you cannot vote on your own post")
    try:
        with transaction.atomic():  # a savepoint: the IntegrityError must not poison the outer one
            vote = Vote.objects.create(post=post, user=user, value=value)
        delta = value
    except IntegrityError:
        vote = Vote.objects.select_for_update().get(post=post, user=user)
        delta = value - vote.value
        if delta:
            vote.value = value
            vote.save(update_fields=["value"])
    if delta:
        Post.objects.filter(pk=post.pk).update(score=F("score") + delta)
    return vote, bool(delta)


@transaction.atomic
def post_unvote(*, post: Post, user: User) -> bool:
    """Withdraw `user`'s vote on `post`; return whether there was one."""
    vote = Vote.objects.select_for_update().filter(post=post, user=user).first()
    if vote is None:
        return False
    vote.delete()
    Post.objects.filter(pk=post.pk).update(score=F("score") - vote.value)
    return True
