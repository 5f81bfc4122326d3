"""The glossary and the FAQ: short definitions, each with engine Python and a spec to run.

Every `python` snippet runs as written with the engine alone (`import descent.engine as de`,
CONTRACT §6), and every `spec` passes `descent.engine.parse_spec`
(tests/challenges/test_blueprint_world.py runs them all). Text is Markdown with TeX.
"""

from __future__ import annotations

from typing import Any

_BLOBS = 'data = de.load_dataset("blobs", seed=0)\n'


def _entry(slug: str, term: str, text: str, python: str, spec: dict[str, Any],
           challenge: str) -> dict[str, Any]:
    return {"slug": slug, "term": term, "text": text, "python": python, "spec": spec,
            "challenge": challenge}


def _spec(**fields: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "version": 1,
        "layers": [{"units": 16, "activation": "relu"}, {"units": 3, "activation": "softmax"}],
        "loss": "cross_entropy",
        "optimizer": {"name": "adam", "learning_rate": 0.01},
        "epochs": 60,
        "batch_size": 32,
        "seed": 0,
    }
    spec.update(fields)
    return spec


GLOSSARY: list[dict[str, Any]] = [
    _entry(
        "loss-function", "Loss function",
        "One number that says how wrong the network is on the training data; training "
        "lowers it. Regression uses mean squared error "
        "$J = \\frac{1}{n}\\sum_i (\\hat{y}_i - y_i)^2$; classification uses cross-entropy "
        "$J = -\\frac{1}{n}\\sum_i \\log p_{i,c_i}$.",
        'import descent.engine as de\n\ndata = de.load_dataset("linear", seed=0)\n'
        'spec = de.parse_spec({"layers": [{"units": 1, "activation": "linear"}],\n'
        '                      "loss": "mse", "optimizer": {"name": "sgd", '
        '"learning_rate": 0.05},\n'
        '                      "epochs": 50, "batch_size": 32, "seed": 0})\n'
        "model = de.build_model(spec, n_inputs=data.n_inputs, seed=0)\n"
        "loss, grads = model.loss_and_gradients(data.X_train, data.y_train)\n"
        'print(f"MSE before training: {loss:.3f}")\n',
        {"version": 1, "layers": [{"units": 1, "activation": "linear"}], "loss": "mse",
         "optimizer": {"name": "sgd", "learning_rate": 0.05}, "epochs": 50,
         "batch_size": 32, "seed": 0},
        "fit-a-line",
    ),
    _entry(
        "gradient", "Gradient",
        "The vector of the loss's partial derivatives, one per weight: $\\nabla J(w)$. It "
        "points uphill, the direction in which the loss grows fastest; backpropagation "
        "computes it layer by layer with the chain rule.",
        "import descent.engine as de\n\n" + _BLOBS
        + "spec = de.parse_spec({\n"
        '    "layers": [{"units": 8, "activation": "relu"}, '
        '{"units": 3, "activation": "softmax"}],\n'
        '    "loss": "cross_entropy", "optimizer": {"name": "sgd", "learning_rate": 0.1},\n'
        '    "epochs": 1, "batch_size": 32, "seed": 0})\n'
        "model = de.build_model(spec, n_inputs=data.n_inputs, seed=0)\n"
        "loss, grads = model.loss_and_gradients(data.X_train, data.y_train)\n"
        "for W, dW in zip(model.parameters(), grads):\n"
        "    print(W.shape, float((dW ** 2).sum() ** 0.5))\n",
        _spec(optimizer={"name": "sgd", "learning_rate": 0.1}),
        "blobs",
    ),
    _entry(
        "learning-rate", "Learning rate",
        "The step size $\\alpha$ of the update $w \\leftarrow w - \\alpha \\nabla J(w)$. Too "
        "small and training crawls; too large and it overshoots and diverges (the loss "
        "becomes NaN). The learning-rate lab tries $\\alpha/10$, $\\alpha$ and $10\\alpha$ side "
        "by side.",
        "import descent.engine as de\n\n"
        'data = de.load_dataset("polynomial", seed=0)\n'
        "for rate in (0.005, 0.05, 0.5):\n"
        "    spec = de.parse_spec({\n"
        '        "layers": [{"units": 32, "activation": "tanh"}, '
        '{"units": 1, "activation": "linear"}],\n'
        '        "loss": "mse", "optimizer": {"name": "sgd", "learning_rate": rate},\n'
        '        "epochs": 50, "batch_size": 32, "seed": 0})\n'
        "    result = de.train(spec, data)\n"
        '    print(rate, result.status, result.history[-1]["val_loss"])\n',
        {"version": 1, "layers": [{"units": 32, "activation": "tanh"},
                                  {"units": 1, "activation": "linear"}],
         "loss": "mse", "optimizer": {"name": "sgd", "learning_rate": 0.05}, "epochs": 200,
         "batch_size": 32, "seed": 0},
        "learning-rate",
    ),
    _entry(
        "epoch", "Epoch",
        "One pass over the whole training set. With $n$ examples and batches of $|B|$, an "
        "epoch is $\\lceil n/|B| \\rceil$ updates; `epochs` in a spec says how many passes.",
        "import descent.engine as de\n\n" + _BLOBS
        + "spec = de.parse_spec({\n"
        '    "layers": [{"units": 16, "activation": "relu"}, '
        '{"units": 3, "activation": "softmax"}],\n'
        '    "loss": "cross_entropy", "optimizer": {"name": "adam", "learning_rate": 0.01},\n'
        '    "epochs": 5, "batch_size": 32, "seed": 0})\n'
        "result = de.train(spec, data)\n"
        "for record in result.history:\n"
        '    print(record["epoch"], round(record["train_loss"], 4))\n',
        _spec(epochs=5),
        "blobs",
    ),
    _entry(
        "batch", "Batch",
        "The examples one update averages its gradient over. `\"batch_size\": \"full\"` uses "
        "every training example (full-batch gradient descent, one update per epoch); 32 uses "
        "32 at a time (mini-batch), giving many noisier updates per epoch.",
        "import descent.engine as de\n\n" + _BLOBS
        + "for batch_size in (\"full\", 32):\n"
        "    spec = de.parse_spec({\n"
        '        "layers": [{"units": 16, "activation": "relu"}, '
        '{"units": 3, "activation": "softmax"}],\n'
        '        "loss": "cross_entropy", "optimizer": {"name": "sgd", "learning_rate": 0.1},\n'
        '        "epochs": 20, "batch_size": batch_size, "seed": 0})\n'
        "    result = de.train(spec, data)\n"
        '    print(batch_size, round(result.history[-1]["val_loss"], 4))\n',
        _spec(batch_size=16, optimizer={"name": "sgd", "learning_rate": 0.1}),
        "blobs",
    ),
    _entry(
        "sgd", "SGD (stochastic gradient descent)",
        "Gradient descent on random mini-batches: shuffle the training set each epoch, "
        "then step after every batch, $w \\leftarrow w - \\alpha \\frac{1}{|B|}\\sum_{i \\in B} "
        "\\nabla \\ell_i(w)$. Cheap, noisy steps; many of them per epoch.",
        "import descent.engine as de\n\n"
        'data = de.load_dataset("spirals", seed=0, noise=0.3)\n'
        "spec = de.parse_spec({\n"
        '    "layers": [{"units": 32, "activation": "tanh"}, '
        '{"units": 3, "activation": "softmax"}],\n'
        '    "loss": "cross_entropy", "optimizer": {"name": "sgd", "learning_rate": 0.1},\n'
        '    "epochs": 100, "batch_size": 16, "seed": 0})\n'
        "result = de.train(spec, data)\n"
        'print(result.status, result.history[-1]["accuracy"])\n',
        {"version": 1, "layers": [{"units": 32, "activation": "tanh"},
                                  {"units": 3, "activation": "softmax"}],
         "loss": "cross_entropy", "optimizer": {"name": "sgd", "learning_rate": 0.1},
         "epochs": 300, "batch_size": 16, "seed": 0},
        "spirals",
    ),
    _entry(
        "momentum", "Momentum",
        "A running velocity of past gradients, $v \\leftarrow \\mu v + \\nabla J(w)$, "
        "$w \\leftarrow w - \\alpha v$: steady directions speed up, oscillations cancel. "
        "`\"optimizer\": {\"name\": \"momentum\", \"momentum\": 0.9}`; Adam adds per-weight "
        "step sizes on top.",
        "import descent.engine as de\n\n"
        'data = de.load_dataset("circles", seed=0, noise=0.1)\n'
        'for optimizer in ({"name": "sgd", "learning_rate": 0.01},\n'
        '                  {"name": "momentum", "learning_rate": 0.01, "momentum": 0.9}):\n'
        "    spec = de.parse_spec({\n"
        '        "layers": [{"units": 16, "activation": "relu"}, '
        '{"units": 1, "activation": "sigmoid"}],\n'
        '        "init": "he_normal", "loss": "binary_cross_entropy", '
        '"optimizer": optimizer,\n'
        '        "epochs": 60, "batch_size": 32, "seed": 0})\n'
        "    result = de.train(spec, data)\n"
        '    print(optimizer["name"], result.history[-1]["accuracy"])\n',
        {"version": 1, "layers": [{"units": 16, "activation": "relu"},
                                  {"units": 1, "activation": "sigmoid"}],
         "init": "he_normal", "loss": "binary_cross_entropy",
         "optimizer": {"name": "momentum", "learning_rate": 0.01, "momentum": 0.9},
         "epochs": 60, "batch_size": 32, "seed": 0},
        "momentum-adam",
    ),
    _entry(
        "overfitting", "Overfitting",
        "The network learns the training examples rather than the pattern: training loss "
        "keeps falling while validation loss turns upward. Remedies: fewer parameters, `l2`, "
        "`dropout`, or `early_stopping` on the validation loss.",
        "import descent.engine as de\n\n"
        'data = de.load_dataset("blobs", seed=0, noise=2.5)\n'
        "spec = de.parse_spec({\n"
        '    "layers": [{"units": 64, "activation": "relu"}, '
        '{"units": 3, "activation": "softmax"}],\n'
        '    "loss": "cross_entropy", "optimizer": {"name": "adam", "learning_rate": 0.01},\n'
        '    "epochs": 150, "batch_size": 32, "seed": 0,\n'
        '    "early_stopping": {"patience": 10, "min_delta": 0.0}})\n'
        "result = de.train(spec, data)\n"
        'print("stopped early:", result.stopped_early, "best epoch:", result.best_epoch)\n'
        "print([d[\"code\"] for d in result.diagnoses])\n",
        _spec(early_stopping={"patience": 10, "min_delta": 0.0}, epochs=150),
        "blobs",
    ),
    _entry(
        "vanishing-gradient", "Vanishing gradient",
        "In a deep network the backpropagated gradient is a product of one factor per layer; "
        "with sigmoid ($\\sigma' \\le 0.25$) it shrinks layer by layer and the first layers "
        "stop learning. relu with He initialisation keeps it flowing.",
        "import descent.engine as de\n\n"
        'data = de.load_dataset("xor", seed=0, noise=0.05)\n'
        'for activation, init in (("sigmoid", "glorot_uniform"), ("relu", "he_normal")):\n'
        "    spec = de.parse_spec({\n"
        '        "layers": [{"units": 16, "activation": activation}] * 4\n'
        '                  + [{"units": 1, "activation": "sigmoid"}],\n'
        '        "init": init, "loss": "binary_cross_entropy",\n'
        '        "optimizer": {"name": "sgd", "learning_rate": 0.05},\n'
        '        "epochs": 100, "batch_size": 32, "seed": 0})\n'
        "    result = de.train(spec, data)\n"
        '    print(activation, result.history[-1]["accuracy"],\n'
        '          [d["code"] for d in result.diagnoses])\n',
        {"version": 1, "layers": [{"units": 16, "activation": "relu"}] * 4
         + [{"units": 1, "activation": "sigmoid"}], "init": "he_normal",
         "loss": "binary_cross_entropy", "optimizer": {"name": "sgd", "learning_rate": 0.05},
         "epochs": 100, "batch_size": 32, "seed": 0},
        "vanishing-gradients",
    ),
    _entry(
        "activation", "Activation function",
        "The nonlinearity after each layer's weighted sum: `relu` $\\max(0, z)$, `tanh`, "
        "`sigmoid` $\\frac{1}{1+e^{-z}}$; `softmax` on the last layer turns outputs into class "
        "probabilities. Without one, any stack of layers is a single linear map.",
        "import descent.engine as de\n\n"
        'data = de.load_dataset("moons", seed=0, noise=0.1)\n'
        'for activation in ("linear", "tanh"):\n'
        "    spec = de.parse_spec({\n"
        '        "layers": [{"units": 16, "activation": activation}, '
        '{"units": 1, "activation": "sigmoid"}],\n'
        '        "loss": "binary_cross_entropy", '
        '"optimizer": {"name": "adam", "learning_rate": 0.01},\n'
        '        "epochs": 100, "batch_size": 32, "seed": 0})\n'
        "    print(activation, de.train(spec, data).history[-1][\"accuracy\"])\n",
        {"version": 1, "layers": [{"units": 16, "activation": "tanh"},
                                  {"units": 1, "activation": "sigmoid"}],
         "loss": "binary_cross_entropy", "optimizer": {"name": "gd", "learning_rate": 0.5},
         "epochs": 1000, "batch_size": "full", "seed": 0},
        "full-batch-gd",
    ),
]

FAQ: list[dict[str, str]] = [
    {
        "slug": "why-different-losses",
        "question": "Why are there different loss functions?",
        "answer": (
            "Because the targets differ. For a real number (regression), mean squared error "
            "$\\frac{1}{n}\\sum_i(\\hat{y}_i - y_i)^2$ punishes big misses most; `mae` and "
            "`huber` care less about outliers. For a class (classification), the network "
            "outputs probabilities and cross-entropy $-\\log p_c$ measures the surprise at the "
            "right answer: its gradient stays strong when the network is confidently wrong, "
            "where MSE on probabilities goes flat. Use `cross_entropy` with a `softmax` last "
            "layer for several classes, `binary_cross_entropy` with one `sigmoid` unit for two. "
            "See the [glossary](/glossary/#loss-function) and the "
            "[Blobs lesson](/blueprint/blobs/)."
        ),
    },
    {
        "slug": "what-is-sgd",
        "question": "What is SGD, and how is it different from gradient descent?",
        "answer": (
            "Gradient descent (`gd`, `\"batch_size\": \"full\"`) computes the exact gradient on "
            "all training examples and takes one step per epoch. Stochastic gradient descent "
            "(`sgd`) estimates it on a small random batch and steps after each one: "
            "$n/|B|$ cheaper, noisier steps per epoch, which usually gets further for the same "
            "work. `momentum` and `adam` are SGD with smarter steps. See "
            "[Mini-batch SGD on spirals](/blueprint/spirals/)."
        ),
    },
    {
        "slug": "nan-loss",
        "question": "My loss is NaN and the run says “diverged”. What happened, what do I do?",
        "answer": (
            "The updates overshot: each step landed further up the other side of the valley, "
            "the gradient grew, the next step grew more, and within a few updates the weights "
            "overflowed to infinity, so the loss became NaN (not a number). The engine stops "
            "the run there and names the learning rate. What to do, in order: (1) lower the "
            "learning rate 10× (the run page's diagnosis suggests the figure); (2) set "
            "`\"gradient_clip\": 1.0` to cap each step; (3) check the loss fits the task. The "
            "[learning-rate lab](/blueprint/learning-rate/) shows the three cases side by side."
        ),
    },
    {
        "slug": "threshold-or-quiz",
        "question": "My run beat the threshold but the node is not cleared. Why?",
        "answer": (
            "A node clears when both are true: one of your runs reaches the unlock threshold on "
            "the **hidden test split** (not the validation score you see while training) and "
            "you answered the node's quiz correctly. Lab runs do not count. The blueprint "
            "lists what is still missing under each node."
        ),
    },
    {
        "slug": "overfitting",
        "question": "Validation accuracy went down while training loss kept falling. Is that bad?",
        "answer": (
            "That is overfitting: the network memorises the training set. Use "
            "`early_stopping` (`{\"patience\": 10, \"min_delta\": 0}`) to keep the best epoch, "
            "fewer units, `l2`, or `dropout`. See the [glossary](/glossary/#overfitting)."
        ),
    },
]
