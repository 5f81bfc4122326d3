"""Load the learning path from its content files: nodes, challenges, glossary, FAQ, demo.

A teacher edits files, not Python (challenges/content/, every key is in docs/blueprint.md):

    nodes/<slug>.md       one blueprint node: TOML front matter between `+++` lines (the node,
                          its challenge, the spec that clears it, a careless one, the quiz),
                          then the lesson in Markdown with TeX
    challenges/<slug>.md  a demo challenge that is not a node: front matter, then the lesson
    glossary.toml         `[[entry]]` tables: term, text, engine Python, a spec to submit
    faq.md                `## Question {#slug}` sections, each answered in Markdown
    demo.toml             the demo builders, their runs and passed quizzes, board threads

Loading is strict: an unknown key, a missing one, a value of the wrong type, a spec the engine
refuses or a name that points nowhere raises `ContentError` naming the file and the key, so a
typo fails `seed_demo` and the tests rather than a page. Django-free: the models are written by
`seed_demo`; the glossary and FAQ pages read their files on every request (a teacher's edit
shows at once; each is a few kilobytes).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from descent.engine.spec import SpecError, parse_spec

CONTENT_DIR = Path(__file__).resolve().parent / "content"
GLOSSARY_FILE = "glossary.toml"
FAQ_FILE = "faq.md"
DEMO_FILE = "demo.toml"
FRONT_MATTER = "+++"
# What a careless spec may do instead of reaching a score.
DIVERGED = "diverged"
# The example specs a demo run may submit, by their table names in a node file.
EXAMPLES = ("snippet", "careless")
CHOICE_LETTERS = "abcdefgh"
FAQ_HEADING = re.compile(r"^## (?P<question>.+?) \{#(?P<slug>[a-z0-9][a-z0-9-]*)\}\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class ContentError(ValueError):
    """A content file is malformed; the message names the file, the key and the fix."""


_REQUIRED: Any = object()


class _Table:
    """Read one TOML table strictly: each key by its type; a key nobody asked for is an error.

    `file` and `section` (the table's dotted name, "" at the top) name it in every message.
    """

    def __init__(self, raw: Any, file: Path, section: str = "") -> None:
        self.file, self.section = file, section
        if not isinstance(raw, dict):
            raise self.error(f"expected a table, got {_kind(raw)}")
        self.raw, self.known = raw, []

    def error(self, message: str) -> ContentError:
        return ContentError(f"{self.file}{f' [{self.section}]' if self.section else ''}: "
                            f"{message}")

    def value(self, key: str, default: Any = _REQUIRED) -> Any:
        """Take a key's value as it is; a missing key without a default is an error."""
        self.known.append(key)
        if key in self.raw:
            return self.raw[key]
        if default is _REQUIRED:
            typo = difflib.get_close_matches(key, [k for k in self.raw if k not in self.known])
            raise self.error(f"missing key '{key}'"
                             + (f" (is '{typo[0]}' a misspelling of it?)" if typo else ""))
        return default

    def wrong(self, key: str, wanted: str, value: Any) -> ContentError:
        return self.error(f"'{key}' must be {wanted}, got {_kind(value)} {value!r}")

    def text(self, key: str, default: Any = _REQUIRED) -> str:
        value = self.value(key, default)
        if not isinstance(value, str):
            raise self.wrong(key, "a string", value)
        return value

    def slug(self, key: str) -> str:
        value = self.text(key)
        if not SLUG.match(value):
            raise self.wrong(key, "a slug (lower-case letters, digits and hyphens)", value)
        return value

    def integer(self, key: str, default: Any = _REQUIRED) -> int:
        value = self.value(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.wrong(key, "a whole number ≥ 0", value)
        return value

    def number(self, key: str, default: Any = _REQUIRED) -> float | None:
        value = self.value(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.wrong(key, "a number", value)
        return float(value)

    def texts(self, key: str, default: Any = _REQUIRED) -> tuple[str, ...]:
        value = self.value(key, default)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise self.wrong(key, "a list of strings", value)
        return tuple(value)

    def mapping(self, key: str, default: Any = _REQUIRED) -> dict[str, Any]:
        value = self.value(key, default)
        if not isinstance(value, dict):
            raise self.wrong(key, "a table", value)
        return value

    def table(self, key: str) -> _Table:
        return _Table(self.value(key), self.file, self._inner(key))

    def optional_table(self, key: str) -> _Table | None:
        value = self.value(key, None)
        return None if value is None else _Table(value, self.file, self._inner(key))

    def tables(self, key: str) -> list[_Table]:
        """Take an array of tables (`[[key]]`, possibly none)."""
        value = self.value(key, [])
        if not isinstance(value, list):
            raise self.wrong(key, f"tables written [[{self._inner(key)}]]", value)
        return [_Table(item, self.file, f"{self._inner(key)} #{index + 1}")
                for index, item in enumerate(value)]

    def spec(self, key: str) -> dict[str, Any]:
        """Take a model spec (CONTRACT.md §1) that the engine accepts."""
        spec = self.mapping(key)
        try:
            parse_spec(spec)
        except SpecError as exc:
            raise _Table({}, self.file, self._inner(key)).error(str(exc)) from exc
        return spec

    def done(self) -> None:
        """Refuse the keys nobody asked for, naming the ones that exist."""
        unknown = [key for key in self.raw if key not in self.known]
        if unknown:
            raise self.error(f"unknown key '{unknown[0]}'; the keys here are "
                             f"{', '.join(self.known)}")

    def _inner(self, key: str) -> str:
        return f"{self.section}.{key}" if self.section else key


def _kind(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "true/false",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


# --- what the files hold --------------------------------------------------------------------

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


# --- reading the files ----------------------------------------------------------------------

def load_world(path: Path = CONTENT_DIR) -> World:
    """Load and cross-check every content file under `path`."""
    path = Path(path)
    nodes = tuple(sorted((_load_node(file) for file in sorted((path / "nodes").glob("*.md"))),
                         key=lambda node: (node.position, node.slug)))
    others = tuple(_load_challenge(file) for file in sorted((path / "challenges").glob("*.md")))
    world = World(nodes=nodes, challenges=tuple(n.challenge for n in nodes) + others,
                  glossary=load_glossary(path / GLOSSARY_FILE), faq=load_faq(path / FAQ_FILE),
                  demo=_load_demo(path / DEMO_FILE))
    _check_names(world, path)
    return world


def split_front_matter(file: Path) -> tuple[dict[str, Any], str]:
    """Return a content file's TOML front matter and its Markdown body (the lesson)."""
    text = file.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FRONT_MATTER:
        raise ContentError(f"{file}: start the file with a '{FRONT_MATTER}' line, then the TOML "
                           f"front matter, then another '{FRONT_MATTER}' line and the lesson")
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == FRONT_MATTER), None)
    if end is None:
        raise ContentError(f"{file}: the front matter has no closing '{FRONT_MATTER}' line")
    # tomllib counts lines from the front matter's first; the file has the '+++' line above.
    front = _parse_toml("".join(lines[1:end]), f"{file}: front matter", first_line=2)
    body = "".join(lines[end + 1:]).strip("\n")
    return front, body + "\n" if body else ""


LITERAL_HINT = "write TeX in a literal string, '''...''' or '...', which keeps every backslash"


def _parse_toml(text: str, where: str, *, first_line: int = 1) -> dict[str, Any]:
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = re.sub(r"at line (\d+)", lambda m: f"at line {int(m[1]) + first_line - 1}",
                         str(exc))
        if "Unescaped '\\'" in message:
            message += f"; {LITERAL_HINT}"
        raise ContentError(f"{where}: {message}") from exc
    line = _escape_before_letter(text)
    if line is not None:
        raise ContentError(
            f"{where}: line {line + first_line - 1}: a backslash before a letter in a \"...\" "
            f"string is a TOML escape (\\n is a newline, \\f a form feed, so $\\nabla$ and "
            f"$\\frac$ would lose theirs); {LITERAL_HINT}")
    return parsed


def _escape_before_letter(text: str) -> int | None:
    r"""Return the line of the first `\` + letter inside a basic ("...") string, or None.

    TOML reads `\n`, `\t`, `\f`, `\b` and `\r` in a basic string as control characters, so
    TeX written there (`\nabla`, `\theta`, `\frac`, `\beta`, `\rho`) parses without an error
    and loses its command. Only called on text that parsed, so the strings are well formed.
    """
    position, line = 0, 1
    while position < len(text):
        char = text[position]
        if char == "#":  # a comment runs to the end of its line
            end = text.find("\n", position)
            position = len(text) if end == -1 else end
            continue
        if char in "'\"":
            quote = char * 3 if text.startswith(char * 3, position) else char
            end = position + len(quote)
            while not text.startswith(quote, end):
                if char == '"' and text[end] == "\\":
                    if text[end + 1].isalpha() and text[end + 1] not in "uU":
                        return line + text.count("\n", position, end)
                    end += 1  # skip the escaped character (\\, \", \u...)
                end += 1
            while len(quote) == 3 and text.startswith(char, end + 3):  # a quote before the close
                end += 1
            line += text.count("\n", position, end)
            position = end + len(quote)
            continue
        line += char == "\n"
        position += 1
    return None


def _load_toml(file: Path) -> dict[str, Any]:
    return _parse_toml(file.read_text(encoding="utf-8"), str(file))


def _challenge(table: _Table, *, slug: str, lesson: str, source: Path) -> ChallengeContent:
    challenge = ChallengeContent(
        slug=slug, title=table.text("title"), status=table.text("status"), lesson=lesson,
        dataset=table.text("dataset"), dataset_params=table.mapping("dataset_params", {}),
        metric=table.text("metric"), unlock_threshold=table.number("unlock_threshold", None),
        max_parameters=table.integer("max_parameters"), max_epochs=table.integer("max_epochs"),
        max_work=table.integer("max_work"), time_limit_seconds=table.integer("time_limit_seconds"),
        daily_quota=table.integer("daily_quota"), starter_spec=table.spec("starter_spec"),
        source=source,
    )
    table.done()
    return challenge


def _load_challenge(file: Path) -> ChallengeContent:
    front, lesson = split_front_matter(file)
    table = _Table(front, file)
    slug = _slug_of(table, file)
    return _challenge(table, slug=slug, lesson=lesson, source=file)


def _slug_of(table: _Table, file: Path) -> str:
    slug = table.slug("slug")
    if slug != file.stem:
        raise ContentError(f"{file}: slug '{slug}' must match the file name: rename the file "
                           f"to {slug}.md or change the slug")
    return slug


def _example(table: _Table) -> Example:
    expected = table.value("expected")
    if expected != DIVERGED and (isinstance(expected, bool)
                                 or not isinstance(expected, int | float)):
        raise table.wrong("expected", f'the test score (a number) or "{DIVERGED}"', expected)
    return Example(spec=table.spec("spec"),
                   expected=expected if expected == DIVERGED else float(expected))


def _question(table: _Table) -> Question:
    key, text = table.slug("key"), table.text("text")
    texts = table.texts("choices")
    right = table.text("right")
    letters = CHOICE_LETTERS[: len(texts)]
    if not 2 <= len(texts) <= len(CHOICE_LETTERS):
        raise table.error(f"give 2 to {len(CHOICE_LETTERS)} choices, not {len(texts)}")
    if right not in letters:
        raise table.error(f"'right' must be the letter of the right choice, one of "
                          f"{', '.join(letters)}; got {right!r}")
    question = Question(
        key=key, text=text, explanation=table.text("explanation"),
        choices=tuple(Choice(key=letter, text=choice, correct=letter == right)
                      for letter, choice in zip(letters, texts, strict=True)),
    )
    table.done()
    return question


def _load_node(file: Path) -> Node:
    front, lesson = split_front_matter(file)
    table = _Table(front, file)
    slug = _slug_of(table, file)
    title, summary = table.text("title"), table.text("summary", "")
    position, prerequisites = table.integer("position"), table.texts("prerequisites")
    challenge_table = table.table("challenge")
    challenge = _challenge(challenge_table, slug=slug, lesson=lesson, source=file)
    if challenge.unlock_threshold is None:
        raise challenge_table.error("missing key 'unlock_threshold' (a node is cleared by a "
                                    "run that reaches it)")
    snippet_table, careless_table = table.table("snippet"), table.table("careless")
    snippet = _example(snippet_table)
    snippet_table.done()
    careless = _example(careless_table)
    careless_why = careless_table.text("why")
    careless_table.done()
    quiz = tuple(_question(question) for question in table.tables("quiz"))
    keys = [question.key for question in quiz]
    if len(set(keys)) != len(keys):
        raise ContentError(f"{file}: two [[quiz]] questions share a key; keys: {keys}")
    table.done()
    return Node(slug=slug, title=title, summary=summary, position=position,
                prerequisites=prerequisites, challenge=challenge, snippet=snippet,
                careless=careless, careless_why=careless_why, quiz=quiz, source=file)


def load_glossary(file: Path) -> tuple[GlossaryEntry, ...]:
    """Read the glossary: `[[entry]]` tables in page order."""
    entries = []
    for table in _Table(_load_toml(file), file).tables("entry"):
        entries.append(GlossaryEntry(
            slug=table.slug("slug"), term=table.text("term"), text=table.text("text"),
            python=table.text("python"), spec=table.spec("spec"),
            challenge=table.slug("challenge"),
        ))
        table.done()
    _unique(file, "entry slug", [entry.slug for entry in entries])
    return tuple(entries)


def load_faq(file: Path) -> tuple[FaqEntry, ...]:
    """Read the FAQ: each `## Question {#slug}` heading opens an entry; Markdown follows."""
    sections: list[tuple[str, str, list[str]]] = []
    preamble: list[str] = []
    in_code = False
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        heading = None if in_code else FAQ_HEADING.match(line)
        if FENCE.match(line):
            in_code = not in_code
        if heading:
            sections.append((heading["slug"], heading["question"], []))
        elif not in_code and line.startswith(("# ", "## ")):
            raise ContentError(f"{file} line {number}: write each question as "
                               f"'## The question? {{#a-slug}}' (the slug is its link, "
                               f"/faq/#a-slug); got {line!r}")
        elif sections:
            sections[-1][2].append(line)
        else:
            preamble.append(line)
    if COMMENT.sub("", "\n".join(preamble)).strip():
        raise ContentError(f"{file}: only <!-- comments --> may come before the first "
                           f"'## Question {{#slug}}' heading")
    entries = []
    for slug, question, lines in sections:
        answer = "\n".join(lines).strip("\n")
        if not answer.strip():
            raise ContentError(f"{file}: question '{slug}' has no answer")
        entries.append(FaqEntry(slug=slug, question=question, answer=answer))
    _unique(file, "question slug", [entry.slug for entry in entries])
    return tuple(entries)


def _load_demo(file: Path) -> Demo:
    table = _Table(_load_toml(file), file)
    builders = []
    for item in table.tables("builder"):
        builders.append(Builder(username=item.text("username"), email=item.text("email"),
                                passed_quizzes=item.texts("passed_quizzes", ())))
        item.done()
    runs = []
    for item in table.tables("run"):
        runs.append(DemoRun(builder=item.text("builder"), node=item.slug("node"),
                            spec=item.text("spec"), note=item.text("note", "")))
        item.done()
    threads = []
    for item in table.tables("thread"):
        attached = None
        run_table = item.optional_table("run")
        if run_table is not None:
            attached = (run_table.text("builder"), run_table.slug("node"))
            run_table.done()
        replies = []
        for reply in item.tables("reply"):
            replies.append(Reply(author=reply.text("author"), body=reply.text("body")))
            reply.done()
        threads.append(DemoThread(author=item.text("author"), category=item.slug("category"),
                                  title=item.text("title"), body=item.text("body"),
                                  run=attached, replies=tuple(replies)))
        item.done()
    table.done()
    return Demo(builders=tuple(builders), runs=tuple(runs), threads=tuple(threads))


def _unique(file: Path, what: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ContentError(f"{file}: the {what} '{name}' appears twice")
        seen.add(name)


def _check_names(world: World, path: Path) -> None:
    """Refuse names that point nowhere and prerequisites that go round in a loop."""
    _unique(path, "challenge slug (nodes/ and challenges/)",
            [challenge.slug for challenge in world.challenges])
    nodes = {node.slug: node for node in world.nodes}
    for node in world.nodes:
        for prerequisite in node.prerequisites:
            if prerequisite not in nodes:
                raise ContentError(f"{node.source}: prerequisite '{prerequisite}' is not a "
                                   f"node; the nodes are {', '.join(nodes)}")
    _check_no_loop(nodes)
    challenges = {challenge.slug for challenge in world.challenges}
    for entry in world.glossary:
        if entry.challenge not in challenges:
            raise ContentError(f"{path / GLOSSARY_FILE}: entry '{entry.slug}': challenge "
                               f"'{entry.challenge}' is not in nodes/ or challenges/")
    demo_file = path / DEMO_FILE
    builders = {builder.username for builder in world.demo.builders}
    _unique(demo_file, "builder", [builder.username for builder in world.demo.builders])

    def check(where: str, builder: str, node: str | None = None) -> None:
        if builder not in builders:
            raise ContentError(f"{demo_file}: {where}: '{builder}' is not a [[builder]]")
        if node is not None and node not in nodes:
            raise ContentError(f"{demo_file}: {where}: '{node}' is not a node")

    for builder in world.demo.builders:
        for slug in builder.passed_quizzes:
            check(f"builder '{builder.username}' passed_quizzes", builder.username, slug)
    for run in world.demo.runs:
        check(f"run '{run.note}'", run.builder, run.node)
        if run.spec not in EXAMPLES:
            raise ContentError(f"{demo_file}: run '{run.note}': spec must be one of "
                               f"{', '.join(EXAMPLES)}, not {run.spec!r}")
    for thread in world.demo.threads:
        check(f"thread '{thread.title}'", thread.author)
        if thread.run is not None:
            check(f"thread '{thread.title}' run", *thread.run)
        for reply in thread.replies:
            check(f"thread '{thread.title}' reply", reply.author)


def _check_no_loop(nodes: dict[str, Node]) -> None:
    done: set[str] = set()

    def visit(slug: str, trail: tuple[str, ...]) -> None:
        if slug in trail:
            loop = " → ".join((*trail[trail.index(slug):], slug))
            raise ContentError(f"{nodes[slug].source}: prerequisites go round in a loop: {loop}")
        if slug in done:
            return
        for prerequisite in nodes[slug].prerequisites:
            visit(prerequisite, (*trail, slug))
        done.add(slug)

    for slug in nodes:
        visit(slug, ())
