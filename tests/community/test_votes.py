"""Votes: once per builder per post, never on one's own, counted once under concurrency."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from community.errors import NotAllowed
from community.models import Post, Vote
from community.services.votes import post_unvote, post_vote
from tests.community.conftest import api_client


def test_voting_twice_counts_once(thread_and_post, other):
    _thread, post = thread_and_post
    post_vote(post=post, user=other)
    _vote, changed = post_vote(post=post, user=other)
    assert not changed
    assert Post.objects.get(pk=post.pk).score == 1


def test_flipping_a_vote_moves_the_score_by_two(thread_and_post, other):
    _thread, post = thread_and_post
    post_vote(post=post, user=other, value=1)
    post_vote(post=post, user=other, value=-1)
    assert Post.objects.get(pk=post.pk).score == -1
    assert Vote.objects.filter(post=post).count() == 1


def test_withdrawing_a_vote_restores_the_score(thread_and_post, other):
    _thread, post = thread_and_post
    post_vote(post=post, user=other)
    assert post_unvote(post=post, user=other)
    assert Post.objects.get(pk=post.pk).score == 0


def test_voting_on_your_own_post_is_refused_with_a_clear_message(thread_and_post, author):
    _thread, post = thread_and_post
    with pytest.raises(NotAllowed, match="your own post"):
        post_vote(post=post, user=author)
    response = api_client(author).post(f"/api/board/posts/{post.pk}/vote/", {}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "you cannot vote on your own post"}


def test_vote_with_a_bad_value_names_the_field(thread_and_post, other):
    _thread, post = thread_and_post
    response = api_client(other).post(
        f"/api/board/posts/{post.pk}/vote/", {"value": 5}, format="json"
    )
    assert response.status_code == 400
    assert "value" in response.json()


def test_vote_without_a_body_is_an_up_vote(thread_and_post, other):
    _thread, post = thread_and_post
    response = api_client(other).post(f"/api/board/posts/{post.pk}/vote/")
    assert response.status_code == 200
    assert response.json() == {"post": post.pk, "value": 1, "score": 1}


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_vote_counts_once(thread_and_post, other):
    """Eight threads, each its own DB connection, vote for the same post at once."""
    _thread, post = thread_and_post
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def vote() -> None:
        try:
            barrier.wait(timeout=10)
            post_vote(post=post, user=other)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=vote) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert errors == []
    assert Vote.objects.filter(post=post, user=other).count() == 1
    assert Post.objects.get(pk=post.pk).score == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_vote_over_http_counts_once(thread_and_post, other):
    _thread, post = thread_and_post
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def vote() -> None:
        try:
            client = api_client(other)
            barrier.wait(timeout=10)
            statuses.append(
                client.post(f"/api/board/posts/{post.pk}/vote/", {}, format="json").status_code
            )
        finally:
            connection.close()

    workers = [threading.Thread(target=vote) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert statuses == [200] * 6
    assert Post.objects.get(pk=post.pk).score == 1
