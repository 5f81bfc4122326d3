// The stepper page: one real training step (descent.engine.trace_step) shown line by line —
// forward, loss, backward, update — with the engine's own numbers. "Replay the step" asks
// GET /api/blueprint/step/ for the same step at another learning rate or optimizer; a 400
// names the field, shown under the form.

const root = document.getElementById("stepper");
const form = root.querySelector("[data-stepper-form]");
const list = root.querySelector("[data-step-lines]");
const problem = root.querySelector("[data-stepper-error]");
let trace = JSON.parse(document.getElementById("step-trace").textContent);
let shown = 1;

function number(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  return magnitude >= 1e4 || magnitude < 1e-3 ? value.toExponential(3) : value.toPrecision(4);
}

function matrix(name, values) {
  // A vector or a matrix as a small table, labelled with its name and shape.
  const rows = Array.isArray(values[0]) ? values : [values];
  const figure = document.createElement("figure");
  figure.className = "matrix";
  const caption = document.createElement("figcaption");
  caption.textContent = `${name} (${rows.length}×${rows[0]?.length ?? 0})`;
  const table = document.createElement("table");
  for (const row of rows) {
    const tr = table.insertRow();
    for (const value of row) tr.insertCell().textContent = number(value);
  }
  figure.append(caption, table);
  figure.dataset.name = name;
  return figure;
}

function line(title, code, parts) {
  const item = document.createElement("li");
  item.className = "step-line";
  const heading = document.createElement("h3");
  heading.textContent = title;
  const source = document.createElement("code");
  source.textContent = code;
  const body = document.createElement("div");
  body.className = "matrices";
  body.append(...parts);
  item.append(heading, source, body);
  return item;
}

/** Return the step's lines, in the order the engine ran them. */
function lines(step) {
  const out = [line("The batch", "X, y = first rows of the training split",
                    [matrix("X", step.batch.X), matrix("y", step.batch.y)])];
  for (const layer of step.forward) {
    out.push(line(`Forward, layer ${layer.layer}: Z = X·W + b`,
                  `Z = X @ W + b   # layer ${layer.layer}`,
                  [matrix("W", layer.W), matrix("b", layer.b), matrix("Z", layer.Z)]));
    const fused = step.loss.fused_with && layer.layer === step.forward.length;
    out.push(line(`Activation, layer ${layer.layer}: A = ${fused ? "Z (softmax is fused with the loss)" : `${layer.activation}(Z)`}`,
                  `A = ${fused ? "Z" : `${layer.activation}(Z)`}`, [matrix("A", layer.A)]));
  }
  out.push(line(`Loss: ${step.loss.name} = ${number(step.loss.total)}`,
                "J = loss(softmax(Z), y);  dJ/dZ = (p − onehot(y)) / n",
                [matrix("predictions p", step.loss.predictions), matrix("dJ/dZ", step.loss.gradient)]));
  for (const layer of step.backward) {
    out.push(line(`Backward, layer ${layer.layer}: ∇W = Xᵀ·dZ, ∇b = Σ dZ`,
                  `dZ = dA * f'(Z);  dW = X.T @ dZ;  db = dZ.sum(0)   # layer ${layer.layer}`,
                  [matrix("dZ", layer.dZ), matrix("∇W", layer.dW), matrix("∇b", layer.db)]));
  }
  for (const layer of step.update.layers) {
    const item = line(`Update, layer ${layer.layer}: ${step.update.rule}`,
                      `w ← w − α·∇J(w)   # α = ${step.update.learning_rate}, ${step.update.optimizer}`,
                      [matrix("W before", layer.W_before), matrix("∇J(W)", layer.gradient_W),
                       matrix("step", layer.step_W), matrix("W after", layer.W_after)]);
    item.dataset.update = String(layer.layer);
    out.push(item);
  }
  out.push(line(`After the step, the same batch's loss: ${number(step.loss_after)} (was ${number(step.loss.total)})`,
                "J(w − α·∇J(w))", []));
  return out;
}

function render() {
  const all = lines(trace);
  shown = Math.min(Math.max(shown, 1), all.length);
  all.forEach((item, index) => { item.hidden = index >= shown; });
  list.replaceChildren(...all);
  list.dataset.lines = String(all.length);
  list.dataset.shown = String(shown);
  list.dataset.learningRate = String(trace.update.learning_rate);
}

root.querySelector("[data-next]").addEventListener("click", () => {
  shown += 1;
  render();
});
root.querySelector("[data-all]").addEventListener("click", () => {
  shown = Infinity;
  render();
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const query = new URLSearchParams(new FormData(form));
  const response = await fetch(`${root.dataset.apiUrl}?${query}`, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) {
    problem.textContent = Object.entries(body).map(([key, messages]) =>
      `${key}: ${[].concat(messages).join(" ")}`).join("; ");
    problem.hidden = false;
    return;
  }
  problem.hidden = true;
  trace = body;
  shown = Infinity; // a replay shows the whole step at once, to compare
  render();
});

render();
