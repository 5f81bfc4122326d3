"""The content files: a teacher adds a node with a file; a typo fails naming file and key."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

import descent.engine as de
from challenges.models import BlueprintNode, Challenge
from challenges.world import CONTENT_DIR, ContentError, load_world
from community.models import User
from descent.engine.metrics import score


def docs_example() -> str:
    """Return the node file that docs/blueprint.md shows under "Adding a node"."""
    docs = (settings.BASE_DIR / "docs" / "blueprint.md").read_text()
    section = docs[docs.index("### Adding a node"):]
    return section.split("```\n", 2)[1]


# The node a teacher adds in docs/blueprint.md: a file in nodes/, nothing else.
TWO_MOONS = docs_example()


@pytest.fixture
def content(tmp_path) -> Path:
    """A copy of the shipped content a test may edit."""
    return Path(shutil.copytree(CONTENT_DIR, tmp_path / "content"))


def seed(content: Path, *options: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--no-runs", "--content", str(content), *options, stdout=out)
    return out.getvalue()


def edit(content: Path, name: str, old: str, new: str) -> None:
    file = content / name
    text = file.read_text()
    assert old in text, (name, old)
    file.write_text(text.replace(old, new, 1))


def test_the_shipped_content_is_the_eight_node_path_a_draft_glossary_faq_and_demo():
    world = load_world()
    assert [node.slug for node in world.nodes] == [
        "fit-a-line", "blobs", "full-batch-gd", "learning-rate", "spirals", "momentum-adam",
        "vanishing-gradients", "digits"]
    assert [c.slug for c in world.challenges] == [n.slug for n in world.nodes] + ["moons-sprint"]
    assert world.challenges[-1].status == "draft"
    assert len(world.glossary) == 10 and len(world.faq) == 5
    assert [b.username for b in world.demo.builders] == ["ada", "grace", "alan"]
    assert world.node("fit-a-line").challenge.lesson.startswith("# Fit a line\n")


def test_a_teacher_adds_a_node_by_adding_a_file_and_seeding_it(content, db, client):
    (content / "nodes" / "two-moons.md").write_text(TWO_MOONS)
    world = load_world(content)
    node = world.node("two-moons")
    assert [n.slug for n in world.nodes].index("two-moons") == 2  # position 15: after blobs
    assert node.prerequisites == ("fit-a-line",)
    assert [c.correct for c in node.quiz[0].choices] == [True, False]
    # The same checks the shipped nodes get (test_blueprint_world.py): snippet clears, careless not.
    data = de.load_dataset("moons", seed=0, noise=0.2)
    for example, clears in ((node.snippet, True), (node.careless, False)):
        result = de.train(de.parse_spec(example.spec), data, metric="accuracy")
        test_score = score("accuracy", result.model, data.X_test, data.y_test, data.task)
        assert (test_score >= 0.95) is clears
        assert test_score == pytest.approx(example.expected, abs=0.005)

    assert "10 challenges, 10 new; 9 new blueprint nodes" in seed(content)
    seeded = BlueprintNode.objects.select_related("challenge").get(challenge__slug="two-moons")
    assert seeded.title == "Bend a boundary round two moons" and seeded.position == 15
    assert [p.slug for p in seeded.prerequisites.all()] == ["fit-a-line"]
    assert seeded.challenge.status == Challenge.Status.PUBLISHED
    assert (seeded.challenge.task, seeded.challenge.metric_direction) == ("binary", "max")
    assert [(q.key, [(c.key, c.correct) for c in q.choices.all()])
            for q in seeded.questions.all()] == [
        ("why-hidden-layer", [("a", True), ("b", False)]),
        ("what-adam-adds", [("a", True), ("b", False)])]
    assert BlueprintNode.objects.count() == 9
    assert "0 new; 0 new blueprint nodes" in seed(content)  # seeding again adds nothing
    assert BlueprintNode.objects.count() == 9

    client.force_login(User.objects.get(username="ada"))
    lesson = client.get("/blueprint/two-moons/").content.decode()
    assert "$w \\leftarrow w - \\alpha \\, \\nabla J(w)$" in lesson
    assert "vendor/katex/contrib/auto-render.min.js" in lesson


def test_seeding_reports_what_it_created(content, db):
    out = seed(content)
    assert "3 builders, 9 challenges, 9 new; 8 new blueprint nodes" in out
    assert Challenge.objects.get(slug="moons-sprint").status == Challenge.Status.DRAFT


def test_seeding_with_update_rewrites_nodes_and_quizzes_from_the_files_and_only_then(
        content, db):
    seed(content)
    edit(content, "nodes/blobs.md", 'title = "Classify blobs with cross-entropy"',
         'title = "Blobs, edited by the teacher"')
    edit(content, "nodes/blobs.md", 'right = "b"', 'right = "c"')
    edit(content, "nodes/blobs.md", "max_epochs = 500", "max_epochs = 400")
    edit(content, "nodes/blobs.md", 'prerequisites = ["fit-a-line"]',
         'prerequisites = ["fit-a-line", "full-batch-gd"]')
    seed(content)  # without --update, what exists stays as it is (staff may have edited it)
    node = BlueprintNode.objects.select_related("challenge").get(challenge__slug="blobs")
    assert node.title == "Classify blobs with cross-entropy"
    assert node.challenge.max_epochs == 500

    out = seed(content, "--update")
    assert "updated from the files: 1 challenges, 1 nodes" in out
    node = BlueprintNode.objects.select_related("challenge").get(challenge__slug="blobs")
    assert node.title == "Blobs, edited by the teacher" and node.challenge.max_epochs == 400
    right = [c.key for c in node.questions.get(key="classification-loss").choices.all()
             if c.correct]
    assert right == ["c"]
    assert sorted(p.slug for p in node.prerequisites.all()) == ["fit-a-line", "full-batch-gd"]
    assert "updated from the files: 0 challenges, 0 nodes" in seed(content, "--update")


def test_seeding_refuses_a_challenge_the_models_refuse_naming_the_file(content, db):
    edit(content, "nodes/fit-a-line.md", 'metric = "mse"', 'metric = "accuracy"')
    with pytest.raises(CommandError, match=r"fit-a-line\.md: metric: 'accuracy' does not fit"):
        seed(content)


def test_seeding_refuses_broken_content_before_writing_anything(content, db):
    edit(content, "nodes/blobs.md", 'slug = "blobs"', 'slug = "blobs"\nflavour = "salty"')
    with pytest.raises(CommandError, match="unknown key 'flavour'"):
        seed(content)
    assert Challenge.objects.count() == 0


def test_a_directory_without_the_content_or_a_missing_file_is_named(content, tmp_path, db):
    with pytest.raises(CommandError, match="no nodes/ directory"):
        seed(tmp_path / "elsewhere")
    (content / "faq.md").unlink()
    with pytest.raises(ContentError, match=r"faq\.md: no such file"):
        load_world(content)


@pytest.mark.parametrize(("name", "old", "new", "fragments"), [
    ("nodes/blobs.md", "metric = ", "metrc = ",
     ["blobs.md [challenge]", "missing key 'metric'", "'metrc'"]),
    ("nodes/blobs.md", "daily_quota = 20", "daily_quota = 20\nflavour = 1",
     ["blobs.md [challenge]", "unknown key 'flavour'", "max_work"]),
    ("nodes/fit-a-line.md", "max_epochs = 500\n", "", ["fit-a-line.md", "'max_epochs'"]),
    ("nodes/fit-a-line.md", "unlock_threshold = 0.02\n", "",
     ["fit-a-line.md [challenge]", "'unlock_threshold'"]),
    ("nodes/fit-a-line.md", "position = 0", 'position = "first"',
     ["fit-a-line.md", "'position' must be a whole number", "'first'"]),
    ("nodes/fit-a-line.md", 'name = "sgd", learning_rate = 0.0005',
     'name = "sgdd", learning_rate = 0.0005', ["[careless.spec]", "'sgdd'"]),
    ("nodes/fit-a-line.md", 'right = "a"', 'right = "e"',
     ["[quiz #1]", "'right' must be the letter", "a, b, c"]),
    ("nodes/fit-a-line.md", "[snippet]\nexpected = 0.0089", "[snippet]\nexpected = true",
     ["[snippet]", "'expected'", "diverged"]),
    ("nodes/blobs.md", 'prerequisites = ["fit-a-line"]', 'prerequisites = ["fit-a-lime"]',
     ["blobs.md", "prerequisite 'fit-a-lime' is not a node"]),
    ("nodes/fit-a-line.md", "prerequisites = []", 'prerequisites = ["digits"]',
     ["loop", "fit-a-line → "]),
    ("nodes/blobs.md", 'slug = "blobs"', 'slug = "blobbs"',
     ["blobs.md", "must match the file name"]),
    ("nodes/blobs.md", "+++\n# Blobs", "# Blobs", ["blobs.md", "no closing '+++'"]),
    ("nodes/blobs.md", 'title = "Blobs"', 'title = "Blobs', ["blobs.md", "front matter"]),
    ("nodes/blobs.md", 'why = "Plain SGD', 'why = "$\\alpha$ SGD',  # the file's line 58
     ["blobs.md: front matter", "at line 58", "'''...'''"]),
    # \n and \f are TOML escapes: these would parse, losing the backslash, without the check.
    ("nodes/blobs.md", 'why = "Plain SGD', 'why = "$\\nabla J$ SGD',
     ["blobs.md: front matter: line 58", "\\n is a newline", "'''...'''"]),
    ("glossary.toml", 'term = "Gradient"', 'term = "Gradient, $\\frac{d}{dw}$"',
     ["glossary.toml: line 36", "\\f a form feed"]),
    ("challenges/moons-sprint.md", 'status = "draft"', "status = 1",
     ["moons-sprint.md", "'status' must be a string"]),
    ("glossary.toml", 'term = "Gradient"', 'term = "Gradient"\nterms = "x"',
     ["glossary.toml [entry #2]", "unknown key 'terms'"]),
    ("glossary.toml", 'challenge = "blobs"', 'challenge = "blobz"',
     ["glossary.toml", "challenge 'blobz'"]),
    ("glossary.toml", 'slug = "gradient"', 'slug = "gradient', ["glossary.toml"]),
    ("faq.md", " {#what-is-sgd}", "", ["faq.md line", "{#a-slug}"]),
    ("faq.md", "{#what-is-sgd}", "{#nan-loss}", ["faq.md", "'nan-loss' appears twice"]),
    ("demo.toml", 'builder = "ada"', 'builder = "ado"', ["demo.toml", "'ado' is not"]),
    ("demo.toml", 'spec = "careless"', 'spec = "sloppy"', ["demo.toml", "'sloppy'"]),
])
def test_a_typo_in_the_content_names_the_file_and_the_key(content, name, old, new, fragments):
    edit(content, name, old, new)
    with pytest.raises(ContentError) as caught:
        load_world(content)
    for fragment in fragments:
        assert fragment in str(caught.value)
