"""Seed the demo world idempotently: running it twice changes nothing the second time.

The world is read from the content files (`challenges.world.load_world`, challenges/content/ by
default, `--content DIR` for another): the challenges, their blueprint nodes, quizzes and
prerequisites; demo builders with a few finished runs (trained for real by the worker's code,
in-process, in well under a second each); and a couple of board threads. Anything that exists
already is left as it is, since staff may have edited it, unless `--update` asks for the
files' version of the challenges and nodes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from challenges.errors import ChallengeInvalid, SubmissionRejected
from challenges.models import BlueprintNode, Challenge, QuizAttempt, QuizChoice, QuizQuestion, Run
from challenges.services.challenges import challenge_save
from challenges.services.queue import TRAIN_TASK
from challenges.services.runs import run_create
from challenges.services.submissions import spec_check
from challenges.world import CONTENT_DIR, ContentError, Node, World, load_world
from community.models import Category, Thread
from community.services.accounts import user_get_or_create
from community.services.posts import post_create
from community.services.threads import thread_create
from descent.celery import app


class Command(BaseCommand):
    help = "Create the demo world from the content files (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-runs", action="store_true",
                            help="Skip the demo runs, quizzes and threads (no training).")
        parser.add_argument("--content", type=Path, default=CONTENT_DIR,
                            help="The content directory (default: challenges/content/).")
        parser.add_argument("--update", action="store_true",
                            help="Also rewrite existing challenges and nodes from the files "
                                 "(undoes staff edits to them).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            world = load_world(options["content"])
        except ContentError as exc:
            raise CommandError(str(exc)) from exc
        with transaction.atomic():
            users = {builder.username: user_get_or_create(username=builder.username,
                                                          email=builder.email)
                     for builder in world.demo.builders}
            created, changed = seed_challenges(world, update=options["update"])
            nodes, changed_nodes = seed_blueprint(world, update=options["update"])
        runs = threads = 0
        if not options["no_runs"]:
            runs = seed_runs(world, users)
            with transaction.atomic():
                seed_quizzes(world, users)
                threads = seed_threads(world, users)
        updated = (f"; updated from the files: {changed} challenges, {changed_nodes} nodes"
                   if options["update"] else "")
        self.stdout.write(
            f"descent: demo world seeded ({len(users)} builders, "
            f"{len(world.challenges)} challenges, {created} new; {nodes} new blueprint nodes, "
            f"{runs} new runs, {threads} new threads{updated})"
        )


def seed_challenges(world: World, *, update: bool = False) -> tuple[int, int]:
    """Create the challenges that are missing; return how many were created and updated.

    An existing challenge is left as it is: staff may have edited it in the admin, and a
    restart of `make run` must not undo that. With `update` it gets the file's fields again.
    """
    existing = {c.slug: c for c in Challenge.objects.filter(
        slug__in=[content.slug for content in world.challenges])}
    created = changed = 0
    for content in world.challenges:
        challenge = existing.get(content.slug)
        fields = content.fields()
        if challenge is not None and not (
                update and any(getattr(challenge, k) != v for k, v in fields.items())):
            continue
        challenge = challenge or Challenge()
        for name, value in fields.items():
            setattr(challenge, name, value)
        is_new = challenge.pk is None
        try:
            challenge_save(challenge)
        except (ChallengeInvalid, ValidationError) as exc:
            raise CommandError(f"{content.source}: {exc}") from exc
        if is_new:
            created += 1
        else:
            changed += 1
    return created, changed


def seed_blueprint(world: World, *, update: bool = False) -> tuple[int, int]:
    """Create the missing nodes with their quizzes and prerequisites; return new and updated.

    A node that exists keeps its lesson, quiz and prerequisites as staff left them, unless
    `update` rewrites them from the file (answers already given stay recorded).
    """
    challenges = {c.slug: c for c in Challenge.objects.filter(
        slug__in=[node.slug for node in world.nodes])}
    existing = {n.challenge.slug: n for n in BlueprintNode.objects.filter(
        challenge__in=challenges.values()).select_related("challenge")}
    new: list[tuple[BlueprintNode, Node]] = []
    changed = 0
    for content in world.nodes:
        if content.slug not in challenges:
            continue
        node = existing.get(content.slug)
        if node is None:
            node = BlueprintNode.objects.create(challenge=challenges[content.slug],
                                                **_node_fields(content))
            _quiz_create(node, content)
            new.append((node, content))
        elif update and _node_update(node, content):
            changed += 1
    nodes = {n.challenge.slug: n for n in BlueprintNode.objects.select_related("challenge")}
    for node, content in new:
        node.prerequisites.set([nodes[slug] for slug in content.prerequisites if slug in nodes])
    return len(new), changed


def _node_fields(content: Node) -> dict[str, Any]:
    return {"title": content.title, "summary": content.summary, "position": content.position,
            "snippet": content.snippet.spec, "careless_snippet": content.careless.spec,
            "careless_why": content.careless_why}


def _quiz_create(node: BlueprintNode, content: Node) -> None:
    for index, question in enumerate(content.quiz):
        created = QuizQuestion.objects.create(
            node=node, key=question.key, text=question.text,
            explanation=question.explanation, position=index,
        )
        QuizChoice.objects.bulk_create([
            QuizChoice(question=created, key=choice.key, text=choice.text,
                       correct=choice.correct, position=i)
            for i, choice in enumerate(question.choices)
        ])


def _quiz_of(node: BlueprintNode) -> list[tuple[Any, ...]]:
    return [(q.key, q.text, q.explanation,
             [(c.key, c.text, c.correct) for c in q.choices.all()]) for q in node.questions.all()]


def _node_update(node: BlueprintNode, content: Node) -> bool:
    """Give an existing node the file's fields, quiz and prerequisites; say if any changed."""
    fields = _node_fields(content)
    changed = [name for name, value in fields.items() if getattr(node, name) != value]
    for name in changed:
        setattr(node, name, fields[name])
    if changed:
        node.save(update_fields=changed)
    wanted_quiz = [(q.key, q.text, q.explanation,
                    [(c.key, c.text, c.correct) for c in q.choices]) for q in content.quiz]
    if _quiz_of(node) != wanted_quiz:
        node.questions.all().delete()
        _quiz_create(node, content)
        changed.append("quiz")
    prerequisites = list(BlueprintNode.objects.filter(challenge__slug__in=content.prerequisites))
    if {p.pk for p in node.prerequisites.all()} != {p.pk for p in prerequisites}:
        node.prerequisites.set(prerequisites)
        changed.append("prerequisites")
    return bool(changed)


def seed_runs(world: World, users: dict[str, Any]) -> int:
    """Train the demo runs of builders who have none on that challenge yet; return how many.

    Each run is written like a submission (outside the quota, so a builder's own day is not
    spent) and trained by the worker's own task function in this process: real history,
    scores and diagnoses, in milliseconds.
    """
    # The worker's own task, called in this process (by name: challenges never imports
    # workers/); loading the task modules registers it.
    app.loader.import_default_modules()
    train_run = app.tasks[TRAIN_TASK]
    challenges = {c.slug: c for c in Challenge.objects.filter(
        slug__in=[node.slug for node in world.nodes])}
    has_runs = set(Run.objects.filter(owner__in=users.values(), challenge__in=challenges.values())
                   .values_list("owner__username", "challenge__slug"))
    created = 0
    for demo in world.demo.runs:
        username, slug, note = demo.builder, demo.node, demo.note
        if (username, slug) in has_runs or slug not in challenges:
            continue
        challenge = challenges[slug]
        try:
            spec, parameters = spec_check(challenge=challenge,
                                          spec=world.node(slug).example(demo.spec).spec)
        except SubmissionRejected as exc:
            raise CommandError(f"{world.node(slug).source}: [{demo.spec}.spec] does not pass "
                               f"the challenge's checks: {exc.errors}") from exc
        run = run_create(owner=users[username], challenge=challenge, spec=spec, note=note,
                         parameter_count=parameters, counts_toward_quota=False, shared=True,
                         enqueue=False)
        train_run(run.pk)
        created += 1
    return created


def seed_quizzes(world: World, users: dict[str, Any]) -> None:
    """Record a correct quiz attempt for the demo builders' cleared nodes, once."""
    nodes = {n.challenge.slug: n for n in BlueprintNode.objects.select_related("challenge")
             .prefetch_related("questions__choices")}
    passed = [(b.username, slug) for b in world.demo.builders for slug in b.passed_quizzes]
    for username, slug in passed:
        node = nodes.get(slug)
        user = users[username]
        if node is None or QuizAttempt.objects.filter(user=user, node=node).exists():
            continue
        answers = {q.key: next((c.key for c in q.choices.all() if c.correct), "")
                   for q in node.questions.all()}
        QuizAttempt.objects.create(user=user, node=node, answers=answers, all_correct=True)


def seed_threads(world: World, users: dict[str, Any]) -> int:
    """Start the demo threads whose title their author has not used yet; return how many."""
    created = 0
    for demo in world.demo.threads:
        author = users[demo.author]
        # The board's migration creates the categories; a flushed test database may lack them.
        category, _ = Category.objects.get_or_create(
            slug=demo.category, defaults={"name": demo.category.title()})
        if Thread.objects.filter(author=author, title=demo.title).exists():
            continue
        attachments = {}
        if demo.run is not None:
            owner, slug = demo.run
            run = (Run.objects.filter(owner=users[owner], challenge__slug=slug,
                                      status="succeeded").order_by("-test_score").first())
            if run is not None:
                attachments["run"] = run
        thread, _post = thread_create(author=author, category=category, title=demo.title,
                                      body=demo.body, attachments_cleaned=attachments)
        for reply in demo.replies:
            post_create(thread=thread, author=users[reply.author], body=reply.body)
        created += 1
    return created
