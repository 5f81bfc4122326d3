// The spec editor: CodeMirror 6 over the submit page's <textarea data-code-editor>.
//
// Bundled by esbuild (`make frontend`, see the Makefile) into
// build/static/js/spec-editor.js, served as /static/js/spec-editor.js. Without JavaScript, or
// without npm at install time, the page keeps its plain textarea and works the same.
//
// What it adds: JSON highlighting, bracket matching, live JSON syntax linting, and the
// server's field errors (`layers[1].units: ...`, listed in the page's [data-spec-path] items)
// drawn at the offending line. The textarea stays the form's field: every edit is copied
// back, so the form posts exactly what the editor shows.
//
// CSP: CodeMirror adds its styles in a <style> element; it carries the nonce that the page
// gave this script (EditorView.cspNonce), and the policy's style-src allows that nonce.

import { EditorView, minimalSetup } from "codemirror";
import { lineNumbers, highlightActiveLine, highlightActiveLineGutter } from "@codemirror/view";
import { bracketMatching, foldGutter, HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { closeBrackets } from "@codemirror/autocomplete";
import { tags } from "@lezer/highlight";
import { json, jsonParseLinter } from "@codemirror/lang-json";
import { linter, lintGutter, forEachDiagnostic } from "@codemirror/lint";
import { syntaxTree } from "@codemirror/language";

// JSON's colours from the site's theme variables, so both themes keep WCAG AA contrast.
const specHighlight = HighlightStyle.define([
  { tag: tags.propertyName, color: "var(--accent)" },
  { tag: tags.string, color: "var(--good)" },
  { tag: tags.number, color: "var(--amber)" },
  { tag: [tags.bool, tags.null], color: "var(--series-5)" },
  { tag: [tags.separator, tags.brace, tags.squareBracket, tags.punctuation], color: "var(--text-muted)" },
]);

/** Split a field path (`layers[1].units`, `optimizer.learning_rate`) into keys and indexes. */
export function pathParts(path) {
  const parts = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    parts.push(match[2] !== undefined ? Number(match[2]) : match[1]);
  }
  return parts;
}

function unquote(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text.replace(/^"|"$/g, "");
  }
}

function children(node) {
  const out = [];
  for (let child = node.firstChild; child; child = child.nextSibling) out.push(child);
  return out;
}

const VALUE_NODES = new Set(["Object", "Array", "String", "Number", "True", "False", "Null"]);

/**
 * Find the text range of `path` in the JSON document: the deepest part that exists, so an
 * error about a missing key points at the object that lacks it. Returns {from, to}.
 */
export function locatePath(state, path) {
  let value = children(syntaxTree(state).topNode).find((n) => VALUE_NODES.has(n.name));
  if (!value) return { from: 0, to: Math.min(state.doc.length, 1) };
  let mark = value;
  const parts = pathParts(path);
  if (parts[0] === "spec") parts.shift(); // the form's root name is not in the document
  for (const part of parts) {
    let next = null;
    let key = null;
    if (value.name === "Object" && typeof part === "string") {
      for (const property of children(value).filter((n) => n.name === "Property")) {
        const name = property.getChild("PropertyName");
        if (name && unquote(state.sliceDoc(name.from, name.to)) === part) {
          next = children(property).find((n) => VALUE_NODES.has(n.name)) || null;
          key = name;
          break;
        }
      }
    } else if (value.name === "Array" && typeof part === "number") {
      next = children(value).filter((n) => VALUE_NODES.has(n.name))[part] || null;
    }
    if (!next) {
      if (key) mark = key;
      break;
    }
    value = next;
    // A scalar is marked itself; a block by its key (or its opening bracket in an array).
    mark = ["Object", "Array"].includes(next.name) && key ? key : next;
  }
  const line = state.doc.lineAt(mark.from);
  return { from: mark.from, to: Math.max(mark.from + 1, Math.min(mark.to, line.to)) };
}

function serverErrors(form) {
  return [...form.querySelectorAll("[data-spec-path]")].map((item) => ({
    path: item.dataset.specPath,
    message: item.dataset.message || item.textContent,
  }));
}

/** The lint source: JSON syntax errors, then the server's errors while the text is unchanged. */
function specLinter(initialText, errors) {
  const parse = jsonParseLinter();
  return (view) => {
    const syntax = parse(view);
    if (syntax.length) return syntax;
    if (view.state.doc.toString() !== initialText) return [];
    return errors.map(({ path, message }) => {
      const { from, to } = locatePath(view.state, path);
      return { from, to, severity: "error", source: path, message: `${path}: ${message}` };
    });
  };
}

const theme = EditorView.theme({
  "&": { backgroundColor: "var(--surface)", color: "var(--text)", border: "1px solid var(--border)",
         borderRadius: "var(--radius)", fontSize: ".88em", minHeight: "22rem" },
  "&.cm-focused": { outline: "2px solid var(--accent-soft)", borderColor: "var(--accent)" },
  ".cm-content": { fontFamily: "var(--font-mono)", caretColor: "var(--accent)" },
  ".cm-gutters": { backgroundColor: "var(--surface-2)", color: "var(--text-muted)", border: "none" },
  ".cm-activeLine": { backgroundColor: "var(--accent-soft)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--surface-3)", color: "var(--text)" },
  ".cm-scroller": { minHeight: "22rem", lineHeight: "1.5" },
  ".cm-tooltip": { backgroundColor: "var(--surface-2)", color: "var(--text)", border: "1px solid var(--border)" },
  ".cm-diagnostic-error": { borderLeftColor: "var(--bad)" },
});

function nonceOf(script) {
  return (script && (script.nonce || script.getAttribute("nonce"))) || "";
}

export function enhance(textarea, nonce) {
  const form = textarea.form;
  const initialText = textarea.value;
  const errors = form ? serverErrors(form) : [];
  const label = document.querySelector(`label[for="${textarea.id}"]`);
  const view = new EditorView({
    doc: initialText,
    extensions: [
      minimalSetup,
      lineNumbers(),
      foldGutter(),
      highlightActiveLine(),
      highlightActiveLineGutter(),
      bracketMatching(),
      closeBrackets(),
      syntaxHighlighting(specHighlight),
      json(),
      lintGutter(),
      linter(specLinter(initialText, errors), { delay: 300 }),
      theme,
      EditorView.cspNonce.of(nonce),
      EditorView.contentAttributes.of({
        "aria-label": label ? label.textContent.trim() : "Spec (JSON)",
        "data-spec-editor-content": "",
      }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) textarea.value = update.state.doc.toString();
        let count = 0;
        forEachDiagnostic(update.state, () => { count += 1; });
        wrapper.dataset.diagnostics = String(count);
      }),
    ],
  });
  const wrapper = document.createElement("div");
  wrapper.className = "code-editor";
  wrapper.dataset.specEditor = "";
  wrapper.append(view.dom);
  textarea.hidden = true;
  textarea.after(wrapper);
  if (label) label.addEventListener("click", () => view.focus());
  if (form) form.addEventListener("submit", () => { textarea.value = view.state.doc.toString(); });
  wrapper.dataset.ready = ""; // tests wait for it
  return view;
}

const script = document.querySelector("script[data-spec-editor]");
for (const textarea of document.querySelectorAll("textarea[data-code-editor]")) {
  enhance(textarea, nonceOf(script));
}
