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

from challenges.world.content import (
    DIVERGED,
    FAQ_FILE,
    GLOSSARY_FILE,
    ChallengeContent,
    Example,
    FaqEntry,
    GlossaryEntry,
    Node,
    World,
)
from challenges.world.loader import CONTENT_DIR, load_faq, load_glossary, load_world
from challenges.world.strict import ContentError

__all__ = [
    "CONTENT_DIR",
    "DIVERGED",
    "FAQ_FILE",
    "GLOSSARY_FILE",
    "ChallengeContent",
    "ContentError",
    "Example",
    "FaqEntry",
    "GlossaryEntry",
    "Node",
    "World",
    "load_faq",
    "load_glossary",
    "load_world",
]
