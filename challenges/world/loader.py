"""Load the content directory into a `World`, checking every file and every name between them."""

from __future__ import annotations

import re
from pathlib import Path

from challenges.world.content import (
    DEMO_FILE,
    DIVERGED,
    EXAMPLES,
    FAQ_FILE,
    GLOSSARY_FILE,
    Builder,
    ChallengeContent,
    Choice,
    Demo,
    DemoRun,
    DemoThread,
    Example,
    FaqEntry,
    GlossaryEntry,
    Node,
    Question,
    Reply,
    World,
)
from challenges.world.strict import (
    ContentError,
    Table,
    load_toml,
    read_text,
    split_front_matter,
)

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
CHOICE_LETTERS = "abcdefgh"
FAQ_HEADING = re.compile(r"^## (?P<question>.+?) \{#(?P<slug>[a-z0-9][a-z0-9-]*)\}\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def load_world(path: Path = CONTENT_DIR) -> World:
    """Load and cross-check every content file under `path`."""
    path = Path(path)
    if not (path / "nodes").is_dir():
        raise ContentError(f"{path}: no nodes/ directory here; give the content directory "
                           f"(the one holding nodes/, {GLOSSARY_FILE}, {FAQ_FILE}, {DEMO_FILE})")
    nodes = tuple(sorted((_load_node(file) for file in sorted((path / "nodes").glob("*.md"))),
                         key=lambda node: (node.position, node.slug)))
    others = tuple(_load_challenge(file) for file in sorted((path / "challenges").glob("*.md")))
    world = World(nodes=nodes, challenges=tuple(n.challenge for n in nodes) + others,
                  glossary=load_glossary(path / GLOSSARY_FILE), faq=load_faq(path / FAQ_FILE),
                  demo=_load_demo(path / DEMO_FILE))
    _check_names(world, path)
    return world


def _challenge(table: Table, *, slug: str, lesson: str, source: Path) -> ChallengeContent:
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
    table = Table(front, file)
    slug = _slug_of(table, file)
    return _challenge(table, slug=slug, lesson=lesson, source=file)


def _slug_of(table: Table, file: Path) -> str:
    slug = table.slug("slug")
    if slug != file.stem:
        raise ContentError(f"{file}: slug '{slug}' must match the file name: rename the file "
                           f"to {slug}.md or change the slug")
    return slug


def _example(table: Table) -> Example:
    expected = table.value("expected")
    if expected != DIVERGED and (isinstance(expected, bool)
                                 or not isinstance(expected, int | float)):
        raise table.wrong("expected", f'the test score (a number) or "{DIVERGED}"', expected)
    return Example(spec=table.spec("spec"),
                   expected=expected if expected == DIVERGED else float(expected))


def _question(table: Table) -> Question:
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
    table = Table(front, file)
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
    for table in Table(load_toml(file), file).tables("entry"):
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
    for number, line in enumerate(read_text(file).splitlines(), 1):
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
    table = Table(load_toml(file), file)
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
