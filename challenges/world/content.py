"""What the content files hold: the nodes, challenges, glossary, FAQ and demo, as dataclasses."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GLOSSARY_FILE = "glossary.toml"
FAQ_FILE = "faq.md"
DEMO_FILE = "demo.toml"
# What a careless spec may do instead of reaching a score.
DIVERGED = "diverged"
# The example specs a demo run may submit, by their table names in a node file.
EXAMPLES = ("snippet", "careless")


@dataclass(frozen=True)
class ChallengeContent:
    """A challenge as its file describes it; `fields()` are the model's."""

    slug: str
    title: str
    status: str
    lesson: str
    dataset: str
    dataset_params: dict[str, Any]
    metric: str
    unlock_threshold: float | None
    max_parameters: int
    max_epochs: int
    max_work: int
    time_limit_seconds: int
    daily_quota: int
    starter_spec: dict[str, Any]
    source: Path

    def fields(self) -> dict[str, Any]:
        """Return the `Challenge` model's fields (the task and direction are derived)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__
                if name != "source"}


@dataclass(frozen=True)
class Example:
    """A spec the lesson shows, and what it reaches on the hidden test split (dataset seed 0).

    `expected` is the test score, or "diverged" for a spec whose loss blows up; the tests
    train every example and check the figure.
    """

    spec: dict[str, Any]
    expected: float | str


@dataclass(frozen=True)
class Choice:
    key: str
    text: str
    correct: bool


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    choices: tuple[Choice, ...]
    explanation: str


@dataclass(frozen=True)
class Node:
    """A blueprint node: its challenge, map place, prerequisites, examples and quiz."""

    slug: str
    title: str
    summary: str
    position: int
    prerequisites: tuple[str, ...]
    challenge: ChallengeContent
    snippet: Example
    careless: Example
    careless_why: str
    quiz: tuple[Question, ...]
    source: Path

    def example(self, which: str) -> Example:
        """Return the 'snippet' or the 'careless' example."""
        return {"snippet": self.snippet, "careless": self.careless}[which]


@dataclass(frozen=True)
class GlossaryEntry:
    slug: str
    term: str
    text: str
    python: str
    spec: dict[str, Any]
    challenge: str


@dataclass(frozen=True)
class FaqEntry:
    slug: str
    question: str
    answer: str


@dataclass(frozen=True)
class Builder:
    username: str
    email: str
    passed_quizzes: tuple[str, ...]


@dataclass(frozen=True)
class DemoRun:
    builder: str
    node: str
    spec: str  # "snippet" or "careless": which of the node's examples
    note: str


@dataclass(frozen=True)
class Reply:
    author: str
    body: str


@dataclass(frozen=True)
class DemoThread:
    author: str
    category: str
    title: str
    body: str
    run: tuple[str, str] | None  # (builder, node): attach that builder's best run there
    replies: tuple[Reply, ...]


@dataclass(frozen=True)
class Demo:
    builders: tuple[Builder, ...]
    runs: tuple[DemoRun, ...]
    threads: tuple[DemoThread, ...]


@dataclass(frozen=True)
class World:
    """Everything `seed_demo` writes and the glossary and FAQ pages show."""

    nodes: tuple[Node, ...]
    challenges: tuple[ChallengeContent, ...]  # the nodes' first, then the others
    glossary: tuple[GlossaryEntry, ...]
    faq: tuple[FaqEntry, ...]
    demo: Demo

    def node(self, slug: str) -> Node:
        return next(node for node in self.nodes if node.slug == slug)

    def texts(self) -> Iterator[tuple[str, str]]:
        """Yield (where, Markdown) for every text a page renders with `render_lesson`."""
        for challenge in self.challenges:
            yield f"{challenge.source}: the lesson", challenge.lesson
        for node in self.nodes:
            yield f"{node.source}: [careless] why", node.careless_why
            for question in node.quiz:
                where = f"{node.source}: question '{question.key}'"
                yield f"{where} text", question.text
                yield f"{where} explanation", question.explanation
                for choice in question.choices:
                    yield f"{where} choice {choice.key}", choice.text
        for entry in self.glossary:
            yield f"{GLOSSARY_FILE}: entry '{entry.slug}' text", entry.text
        for faq in self.faq:
            yield f"{FAQ_FILE}: '{faq.slug}'", faq.answer
