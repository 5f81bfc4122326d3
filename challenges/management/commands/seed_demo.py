"""Seed the demo world idempotently: running it twice changes nothing the second time.

The world is the learning path of `challenges.blueprint_world`: eight challenges, their
blueprint nodes, quizzes and prerequisites; demo builders with a few finished runs (trained
for real by the worker's code, in-process, in well under a second each); and a couple of board
threads. Anything that exists already is left as it is: staff may have edited it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from challenges.blueprint_world import BLUEPRINT_WORLD
from challenges.demo_challenges import DEMO_CHALLENGES, DEMO_DEFAULTS, DRAFT_CHALLENGE
from challenges.models import BlueprintNode, Challenge, QuizAttempt, QuizChoice, QuizQuestion, Run
from challenges.services.challenges import challenge_save
from challenges.services.queue import TRAIN_TASK
from challenges.services.runs import run_create
from challenges.services.submissions import spec_check
from community.models import Category, Thread
from community.services.accounts import user_get_or_create
from community.services.posts import post_create
from community.services.threads import thread_create
from descent.celery import app

DEMO_BUILDERS = [("ada", "ada@example.com"), ("grace", "grace@example.com"),
                 ("alan", "alan@example.com")]

# (builder, node, which spec, note): ada is three nodes in, grace two, alan has just started
# (and diverged on purpose). Each takes milliseconds to train.
DEMO_RUNS = [
    ("ada", "fit-a-line", "snippet", "straight from the lesson"),
    ("ada", "blobs", "snippet", "16 relu units, adam"),
    ("ada", "full-batch-gd", "careless_snippet", "30 epochs of gd: not enough"),
    ("ada", "full-batch-gd", "snippet", "1000 epochs of gd"),
    ("grace", "fit-a-line", "careless_snippet", "tiny learning rate"),
    ("grace", "fit-a-line", "snippet", "0.05 works"),
    ("grace", "blobs", "snippet", "cross-entropy this time"),
    ("alan", "fit-a-line", "snippet", "first try"),
]
# Quizzes the demo builders have passed (so the map shows every state).
DEMO_QUIZZES = [("ada", "fit-a-line"), ("ada", "blobs"), ("ada", "full-batch-gd"),
                ("grace", "fit-a-line"), ("alan", "fit-a-line")]

DEMO_THREADS = [
    {
        "author": "ada", "category": "debriefs", "run": ("ada", "full-batch-gd"),
        "title": "Full-batch GD: 30 epochs is 30 steps",
        "body": "My first full-batch run stopped at 0.90 on the moons: with `batch_size: "
                "\"full\"` every epoch is **one** update, so 30 epochs were only 30 steps. "
                "1000 epochs at learning rate 0.5 bend the boundary all the way round. The "
                "loss chart is smooth, no mini-batch noise at all.",
        "replies": [("grace", "Same here. It is also why the curve is so smooth: every "
                              "step uses the exact gradient of all 360 points.")],
    },
    {
        "author": "alan", "category": "help", "run": None,
        "title": "Why does my loss say NaN?",
        "body": "On the learning-rate node my run ended as *diverged* after one epoch. What "
                "did I do wrong?",
        "replies": [("ada", "Your learning rate is too large: each step overshoots and the "
                            "weights blow up to infinity. The diagnosis on the run page "
                            "names a rate 10× lower; the lab on the lesson page shows all "
                            "three side by side. See also /faq/#nan-loss.")],
    },
]


class Command(BaseCommand):
    help = "Create the demo world (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-runs", action="store_true",
                            help="Skip the demo runs and threads (no training).")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            users = {username: user_get_or_create(username=username, email=email)
                     for username, email in DEMO_BUILDERS}
            created = seed_challenges()
            nodes = seed_blueprint()
        runs = threads = 0
        if not options["no_runs"]:
            runs = seed_runs(users)
            with transaction.atomic():
                seed_quizzes(users)
                threads = seed_threads(users)
        self.stdout.write(
            f"descent: demo world seeded ({len(DEMO_BUILDERS)} builders, "
            f"{len(DEMO_CHALLENGES)} challenges, {created} new; {nodes} new blueprint nodes, "
            f"{runs} new runs, {threads} new threads)"
        )


def seed_challenges() -> int:
    """Create the demo challenges that are missing; return how many were created.

    An existing challenge is left as it is: staff may have edited it in the admin, and a
    restart of `make run` must not undo that.
    """
    wanted = [(fields, Challenge.Status.PUBLISHED) for fields in DEMO_CHALLENGES]
    wanted.append((DRAFT_CHALLENGE, Challenge.Status.DRAFT))
    existing = set(
        Challenge.objects.filter(
            slug__in=[fields["slug"] for fields, _status in wanted]
        ).values_list("slug", flat=True)
    )
    created = 0
    for fields, status in wanted:
        if fields["slug"] in existing:
            continue
        challenge_save(Challenge(**DEMO_DEFAULTS, **fields, status=status))
        created += 1
    return created


def seed_blueprint() -> int:
    """Create the missing nodes with their quizzes and prerequisites; return how many.

    A node that exists keeps its lesson, quiz and prerequisites as staff left them.
    """
    challenges = {c.slug: c for c in Challenge.objects.filter(
        slug__in=[entry["challenge"]["slug"] for entry in BLUEPRINT_WORLD])}
    existing = set(BlueprintNode.objects.filter(challenge__in=challenges.values())
                   .values_list("challenge__slug", flat=True))
    new: list[tuple[BlueprintNode, dict[str, Any]]] = []
    for position, entry in enumerate(BLUEPRINT_WORLD):
        slug = entry["challenge"]["slug"]
        if slug in existing or slug not in challenges:
            continue
        node = BlueprintNode.objects.create(
            challenge=challenges[slug], title=entry["title"], summary=entry["summary"],
            position=position * 10, snippet=entry["snippet"],
            careless_snippet=entry["careless_snippet"], careless_why=entry["careless_why"],
        )
        for index, question in enumerate(entry["quiz"]):
            created = QuizQuestion.objects.create(
                node=node, key=question["key"], text=question["text"],
                explanation=question["explanation"], position=index,
            )
            QuizChoice.objects.bulk_create([
                QuizChoice(question=created, key=choice["key"], text=choice["text"],
                           correct=choice["correct"], position=i)
                for i, choice in enumerate(question["choices"])
            ])
        new.append((node, entry))
    nodes = {n.challenge.slug: n for n in BlueprintNode.objects.select_related("challenge")}
    for node, entry in new:
        node.prerequisites.set([nodes[slug] for slug in entry["prerequisites"] if slug in nodes])
    return len(new)


def seed_runs(users: dict[str, Any]) -> int:
    """Train the demo runs of builders who have none on that challenge yet; return how many.

    Each run is written like a submission (outside the quota, so a builder's own day is not
    spent) and trained by the worker's own task function in this process: real history,
    scores and diagnoses, in milliseconds.
    """
    # The worker's own task, called in this process (by name: challenges never imports
    # workers/); loading the task modules registers it.
    app.loader.import_default_modules()
    train_run = app.tasks[TRAIN_TASK]
    entries = {entry["challenge"]["slug"]: entry for entry in BLUEPRINT_WORLD}
    challenges = {c.slug: c for c in Challenge.objects.filter(slug__in=entries)}
    has_runs = set(Run.objects.filter(owner__in=users.values(), challenge__in=challenges.values())
                   .values_list("owner__username", "challenge__slug"))
    created = 0
    for username, slug, which, note in DEMO_RUNS:
        if (username, slug) in has_runs or slug not in challenges:
            continue
        challenge = challenges[slug]
        spec, parameters = spec_check(challenge=challenge, spec=entries[slug][which])
        run = run_create(owner=users[username], challenge=challenge, spec=spec, note=note,
                         parameter_count=parameters, counts_toward_quota=False, shared=True,
                         enqueue=False)
        train_run(run.pk)
        created += 1
    return created


def seed_quizzes(users: dict[str, Any]) -> None:
    """Record a correct quiz attempt for the demo builders' cleared nodes, once."""
    nodes = {n.challenge.slug: n for n in BlueprintNode.objects.select_related("challenge")
             .prefetch_related("questions__choices")}
    for username, slug in DEMO_QUIZZES:
        node = nodes.get(slug)
        user = users[username]
        if node is None or QuizAttempt.objects.filter(user=user, node=node).exists():
            continue
        answers = {q.key: next((c.key for c in q.choices.all() if c.correct), "")
                   for q in node.questions.all()}
        QuizAttempt.objects.create(user=user, node=node, answers=answers, all_correct=True)


def seed_threads(users: dict[str, Any]) -> int:
    """Start the demo threads whose title their author has not used yet; return how many."""
    created = 0
    for spec in DEMO_THREADS:
        author = users[spec["author"]]
        # The board's migration creates the categories; a flushed test database may lack them.
        category, _ = Category.objects.get_or_create(
            slug=spec["category"], defaults={"name": spec["category"].title()})
        if Thread.objects.filter(author=author, title=spec["title"]).exists():
            continue
        attachments = {}
        if spec["run"] is not None:
            owner, slug = spec["run"]
            run = (Run.objects.filter(owner=users[owner], challenge__slug=slug,
                                      status="succeeded").order_by("-test_score").first())
            if run is not None:
                attachments["run"] = run
        thread, _post = thread_create(author=author, category=category, title=spec["title"],
                                      body=spec["body"], attachments_cleaned=attachments)
        for replier, body in spec["replies"]:
            post_create(thread=thread, author=users[replier], body=body)
        created += 1
    return created
