// Typeset the TeX in lessons, quizzes, the glossary and the FAQ with KaTeX's auto-render.
// KaTeX comes from npm (served as /static/vendor/katex/); without it the TeX stays readable
// as source. `$$...$$` is display math, `$...$` inline; code and pre blocks are left alone.

const DELIMITERS = [
  { left: "$$", right: "$$", display: true },
  { left: "$", right: "$", display: false },
];

function typeset() {
  if (typeof window.renderMathInElement !== "function") return;
  document.querySelectorAll("[data-math]").forEach((element) => {
    window.renderMathInElement(element, { delimiters: DELIMITERS, throwOnError: false });
  });
}

// Module scripts run after the deferred classic scripts (katex, auto-render) in order.
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", typeset);
} else {
  typeset();
}
