"""Every formula in the content is TeX that KaTeX typesets, and no `$` is left in the prose.

The pages typeset in the browser, so a teacher's typo (`\\frac{1}{n`, a lone `$`) would show as
raw source there; these checks make it fail here instead. The same KaTeX the pages serve
(node_modules/katex, from package-lock.json) parses each formula, in strict mode.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from django.conf import settings

from challenges.lessons import CODE, lift_math
from challenges.world import CONTENT_DIR, load_world

TEXTS = [(where.removeprefix(f"{CONTENT_DIR}/"), text)
         for where, text in load_world().texts()]

KATEX_PARSE = """
const katex = require(process.argv[1]);
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const errors = JSON.parse(input).map(([tex, display]) => {
    try {
      katex.renderToString(tex, { displayMode: display, throwOnError: true, strict: "error" });
      return null;
    } catch (error) {
      return String(error.message);
    }
  });
  process.stdout.write(JSON.stringify(errors));
});
"""


def katex_errors(formulas: list[str]) -> list[str | None]:
    """Parse each `$...$` / `$$...$$` formula with KaTeX; return its error or None."""
    node = shutil.which("node")
    katex = settings.FRONTEND_VENDOR["vendor/katex"].parent
    assert node, "Node.js is needed to check the formulas (and to install KaTeX): install it"
    assert katex.is_dir(), f"KaTeX is not installed at {katex}: run `make install`"
    items = [(f[2:-2], True) if f.startswith("$$") else (f[1:-1], False) for f in formulas]
    done = subprocess.run([node, "-e", KATEX_PARSE, str(katex)], input=json.dumps(items),
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def stray_dollars(text: str) -> str:
    """Return the prose around a `$` left once formulas and code are out, or ""."""
    prose = CODE.sub("", lift_math(text)[0])
    where = prose.find("$")
    return "" if where < 0 else prose[max(0, where - 30):where + 30]


def test_every_formula_in_the_content_parses_with_katex():
    formulas = [(where, formula) for where, text in TEXTS for formula in lift_math(text)[1]]
    assert len(formulas) > 50  # the path's lessons, quizzes, glossary and FAQ
    errors = katex_errors([formula for _, formula in formulas])
    broken = [f"{where}: {formula}: {error}"
              for (where, formula), error in zip(formulas, errors, strict=True) if error]
    assert not broken, "\n".join(broken)


def test_the_formula_check_catches_a_teachers_typo():
    ok, unclosed, unknown = katex_errors(["$x^2$", "$$\\frac{1}{n$$", "$\\nabal J$"])
    assert ok is None
    assert "expected '}'" in unclosed
    assert "\\nabal" in unknown


def test_no_dollar_is_left_outside_a_formula():
    stray = [f"{where}: {stray_dollars(text)!r}" for where, text in TEXTS if stray_dollars(text)]
    assert not stray, "close the formula, or rephrase the '$':\n" + "\n".join(stray)


@pytest.mark.parametrize("text", ["The loss $J = \\frac{1}{n}", "Costs $ 5", "$$x^2$ and $y$"])
def test_an_unclosed_formula_leaves_a_stray_dollar(text):
    assert stray_dollars(text)


def test_code_may_hold_a_dollar():
    assert not stray_dollars("Run `echo $HOME` and\n\n```\nprice = '$5'\n```\n")
