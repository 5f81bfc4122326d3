"""The demo learning path: eight challenges, their lessons, quizzes and prerequisites.

`manage.py seed_demo` creates what is missing from this module and never overwrites what staff
edited. Every node carries a `snippet` that clears its threshold and a `careless_snippet` that
does not; the figures in the comments (test split, dataset seed 0) were measured with
`descent.engine.train` + `descent.engine.metrics.score`, and
tests/challenges/test_blueprint_world.py checks them. docs/blueprint.md lists them too.

Lessons are Markdown with TeX between `$...$` (inline) and `$$...$$` (display); the lesson page
renders them with KaTeX (challenges/lessons.py keeps the TeX out of Markdown's way).
"""

from __future__ import annotations

from typing import Any


def _layers(*units_and_activations: tuple[int, str]) -> list[dict[str, Any]]:
    return [{"units": units, "activation": activation}
            for units, activation in units_and_activations]


def _spec(layers: list[dict[str, Any]], *, loss: str, optimizer: str, learning_rate: float,
          epochs: int, batch_size: int | str = 32, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "version": 1,
        "layers": layers,
        "loss": loss,
        "optimizer": {"name": optimizer, "learning_rate": learning_rate},
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": 0,
    }
    spec.update(extra)
    return spec


def _question(key: str, text: str, choices: list[tuple[str, str, bool]],
              explanation: str) -> dict[str, Any]:
    return {
        "key": key,
        "text": text,
        "choices": [{"key": k, "text": t, "correct": c} for k, t, c in choices],
        "explanation": explanation,
    }


# --- 1. Fit a line with MSE ----------------------------------------------------------------

FIT_A_LINE_LESSON = r"""# Fit a line

The data is a noisy straight line: one input $x$ and one target $y = a x + b + \varepsilon$,
where $\varepsilon$ is noise. A single `linear` unit computes $\hat{y} = w x + b$, so training
has exactly two numbers to find: the weight $w$ and the bias $b$.

## The loss: mean squared error

How wrong is the line? Square each error and average over the $n$ examples:

$$J(w, b) = \frac{1}{n} \sum_{i=1}^{n} \left(\hat{y}_i - y_i\right)^2$$

Squaring makes every error positive and punishes big misses much more than small ones. $J$
is a smooth bowl in $(w, b)$: it has one lowest point, and the slope everywhere points uphill.

## The update rule

Gradient descent walks downhill. The gradient $\nabla J(w)$ says which way is up, so each
step moves the other way, by a step the **learning rate** $\alpha$ sets:

$$w \leftarrow w - \alpha \, \nabla J(w)$$

For MSE the gradient is
$\frac{\partial J}{\partial w} = \frac{2}{n} \sum_i (\hat{y}_i - y_i)\, x_i$:
the error, weighted by the input that caused it.

## Try it

The snippet below uses `sgd` at $\alpha = 0.05$ for 50 epochs. The score is the MSE on the
hidden test split (lower is better); the noise puts a floor under it near 0.01, so nobody
reaches zero. Watch the loss chart on your run's page fall and flatten.
"""

FIT_A_LINE_QUIZ = [
    _question(
        "what-mse-measures",
        "What does the mean squared error measure?",
        [("a", "The average of the squared differences between predictions and targets", True),
         ("b", "The fraction of examples the model gets exactly right", False),
         ("c", "The size of the model's weights", False)],
        "MSE averages $(\\hat{y}_i - y_i)^2$ over the examples: big misses count much more "
        "than small ones, and a perfect fit scores 0.",
    ),
    _question(
        "update-direction",
        "In the update $w \\leftarrow w - \\alpha \\nabla J(w)$, why the minus sign?",
        [("a", "The gradient points uphill, so we step the opposite way to lower the loss",
          True),
         ("b", "To keep the weights negative", False),
         ("c", "It makes the learning rate smaller each epoch", False)],
        "The gradient is the direction of steepest increase of $J$. Subtracting it moves the "
        "weights downhill; $\\alpha$ sets how far.",
    ),
]

# --- 2. Classify blobs with cross-entropy --------------------------------------------------

BLOBS_LESSON = r"""# Blobs: classification with cross-entropy

Three clouds of points in the plane, one per class, overlapping at the edges. Now the answer
is a class, not a number, so the network ends in a `softmax` layer that turns its $K$ raw
outputs $z_k$ into probabilities that sum to one:

$$p_k = \frac{e^{z_k}}{\sum_{j=1}^{K} e^{z_j}}$$

## The loss: cross-entropy

For an example of true class $c$, cross-entropy is the surprise of the probability the
network gave to the right answer:

$$J = -\frac{1}{n} \sum_{i=1}^{n} \log p_{i, c_i}$$

Confident and right costs almost nothing; confident and wrong costs a lot, and the gradient
stays strong exactly when the model is badly wrong. That is why classification uses
cross-entropy rather than MSE: with softmax, MSE's gradient shrinks as the prediction
saturates, so a confidently wrong network learns slowly.

## What to expect

A hidden layer of a few `relu` units is plenty: the classes are almost linearly separable.
Because the clouds overlap, nobody gets every point right; chasing the last percent on the
validation split tends to **overfit** (the validation loss turns upward while the training
loss keeps falling). The score is **accuracy** on the hidden test split.
"""

BLOBS_QUIZ = [
    _question(
        "classification-loss",
        "Which loss function is primarily used for classification?",
        [("a", "Mean squared error", False),
         ("b", "Cross-entropy", True),
         ("c", "Mean absolute error", False),
         ("d", "Huber loss", False)],
        "Cross-entropy, $-\\log p_{c}$, compares predicted class probabilities with the true "
        "class. Its gradient stays large when the network is confidently wrong; MSE, Huber "
        "and MAE are for real-valued targets.",
    ),
    _question(
        "softmax-output",
        "What does a softmax last layer output?",
        [("a", "One probability per class, summing to one", True),
         ("b", "The index of the predicted class", False),
         ("c", "A single number between -1 and 1", False)],
        "Softmax exponentiates the raw outputs and normalises them, so they are positive and "
        "sum to one: a probability for each class.",
    ),
]

# --- 3. Full-batch gradient descent --------------------------------------------------------

FULL_BATCH_LESSON = r"""# Full-batch gradient descent

Two interleaving half moons: no straight line separates them, so the network needs a hidden
layer with a nonlinearity (`tanh` here) to bend its boundary.

**Full-batch** gradient descent (`"optimizer": {"name": "gd"}`, `"batch_size": "full"`)
computes the gradient on *all* $n$ training examples before taking one step:

$$\nabla J(w) = \frac{1}{n} \sum_{i=1}^{n} \nabla \ell_i(w), \qquad
w \leftarrow w - \alpha \, \nabla J(w)$$

That gradient is exact, so the loss falls smoothly, epoch after epoch. The price: one
**epoch** (a pass over the training data) is exactly **one** update. Ten epochs of full-batch
descent is ten small steps, nowhere near enough to bend a boundary around the moons; a
thousand is. Compare the careless snippet (30 epochs) with the good one (1,000) on the loss
chart: same curve, one stops early.

The output is a single `sigmoid` unit with `binary_cross_entropy`, the two-class case of
cross-entropy: $J = -\frac{1}{n}\sum_i \left[y_i \log p_i + (1 - y_i)\log(1 - p_i)\right]$.
"""

FULL_BATCH_QUIZ = [
    _question(
        "updates-per-epoch",
        "With full-batch gradient descent on 360 training examples, how many weight updates "
        "happen in one epoch?",
        [("a", "One", True),
         ("b", "360", False),
         ("c", "It depends on the learning rate", False)],
        "Full batch means the gradient is averaged over every example before the single step "
        "of that epoch. Mini-batches of 32 would give 12 updates per epoch instead.",
    ),
    _question(
        "why-nonlinearity",
        "Why does the moons network need a hidden layer with tanh rather than a single linear "
        "layer?",
        [("a", "Without a nonlinearity the decision boundary is a straight line", True),
         ("b", "tanh makes training faster on every dataset", False),
         ("c", "A linear layer cannot be trained with gradient descent", False)],
        "Stacked linear layers are still one linear map. A nonlinearity between them lets "
        "the boundary curve around the moons.",
    ),
]

# --- 4. The learning rate: diverge on purpose, then fix it ---------------------------------

LEARNING_RATE_LESSON = r"""# The learning rate: diverge on purpose, then fix it

The data is a noisy cubic curve; a hidden layer of 32 `tanh` units fits it well. This node is
about one number: the learning rate $\alpha$ in

$$w \leftarrow w - \alpha \, \nabla J(w)$$

- **Too small** and each step barely moves: the loss creeps down and the run ends before it
  gets anywhere (the engine's diagnosis says *learning_rate_too_small*).
- **Too large** and each step overshoots the bottom of the valley, landing higher up the other
  side; the next gradient is bigger, the next step bigger still, and within a few updates the
  weights are $\pm\infty$ and the loss is `NaN`. The run ends as **diverged**.
- **About right** and the loss falls fast and settles.

## Do it

1. Submit the careless snippet below: `sgd` at $\alpha = 1.0$. It diverges in the first
   epoch; read the diagnosis on the run page.
2. Fix it: the snippet at $\alpha = 0.05$ reaches $R^2 \approx 0.99$ on the hidden test split.
3. Open the **learning-rate lab** from this page: it trains one spec at $\alpha/10$,
   $\alpha$ and $10\alpha$ side by side on one chart, outside your quota, and explains what
   happened to each.

The score is $R^2 = 1 - \frac{\sum_i (y_i - \hat{y}_i)^2}{\sum_i (y_i - \bar{y})^2}$: 1 is a
perfect fit, 0 is no better than predicting the mean.
"""

LEARNING_RATE_QUIZ = [
    _question(
        "nan-loss",
        "Your loss becomes NaN after a few updates. What is the most likely cause?",
        [("a", "The learning rate is too large, so the updates overshoot and explode", True),
         ("b", "The learning rate is too small", False),
         ("c", "There are too few epochs", False)],
        "Steps that overshoot grow the gradient, which grows the next step: the weights run "
        "off to infinity and the loss becomes NaN. Lower the learning rate (10x is a good "
        "first try) or set gradient_clip.",
    ),
    _question(
        "too-small",
        "What does a learning rate that is far too small look like on the loss chart?",
        [("a", "A nearly flat line that decreases very slowly", True),
         ("b", "A loss that jumps up and down wildly", False),
         ("c", "A loss that becomes NaN", False)],
        "Tiny steps change the weights very little per update, so the loss creeps down; the "
        "run ends long before it reaches the bottom.",
    ),
    _question(
        "lab-factor",
        "The learning-rate lab trains your spec at three rates. Which?",
        [("a", "α/10, α and 10α", True),
         ("b", "α, 2α and 3α", False),
         ("c", "0.1, 0.01 and 0.001 whatever your spec says", False)],
        "A factor of ten each way spans the usual range between 'barely moves' and "
        "'explodes', so one lab usually shows both failure modes next to the working rate.",
    ),
]

# --- 5. Mini-batch SGD on spirals ----------------------------------------------------------

SPIRALS_LESSON = r"""# Spirals: mini-batch SGD

Three interleaved spiral arms. No straight line, nor a handful of them, separates the
classes: the network needs enough hidden units, and a nonlinearity, to wind its boundary
around the arms.

## Mini-batches

Full-batch descent takes one exact step per epoch. **Stochastic gradient descent** (SGD)
estimates the gradient on a small random **batch** $B$ of examples and steps at once:

$$w \leftarrow w - \alpha \, \frac{1}{|B|} \sum_{i \in B} \nabla \ell_i(w)$$

Each estimate is noisy, but there are $n / |B|$ of them per epoch, so the network gets many
more updates for the same work, and the noise even helps it wander out of flat regions. With
360 training points, a batch of 16 gives 23 updates per epoch.

## What clears it

The starter spec (16 units, batch 32, 100 epochs) reaches about 0.93: close, not enough. The
snippet doubles the width, halves the batch and trains longer, and reaches 0.975 on the hidden
test split. Other ways in: `adam`, a second hidden layer, or `early_stopping` to keep the
best epoch. Mind the parameter budget.
"""

SPIRALS_QUIZ = [
    _question(
        "what-is-sgd",
        "What is stochastic gradient descent (SGD)?",
        [("a", "Gradient descent that estimates the gradient on small random batches and "
               "updates after each batch", True),
         ("b", "Gradient descent with a random learning rate", False),
         ("c", "Picking random weights and keeping the best", False)],
        "SGD trades an exact gradient for many cheap, noisy estimates: $n/|B|$ updates per "
        "epoch instead of one.",
    ),
    _question(
        "batch-size-effect",
        "Halving the batch size (same epochs) mostly…",
        [("a", "Doubles the number of updates per epoch, each noisier", True),
         ("b", "Halves the number of updates per epoch", False),
         ("c", "Makes every gradient exact", False)],
        "Updates per epoch are $n/|B|$; a smaller batch averages fewer examples, so each "
        "estimate is noisier.",
    ),
]

# --- 6. Momentum and Adam ------------------------------------------------------------------

MOMENTUM_LESSON = r"""# Momentum and Adam

A small circle inside a large one. Plain `sgd` at $\alpha = 0.01$ crawls: after 60 epochs it
still mistakes a fifth of the points. Two ideas make each step smarter.

## Momentum

Keep a running velocity $v$ of past gradients and step along it:

$$v \leftarrow \mu v + \nabla J(w), \qquad w \leftarrow w - \alpha v$$

With $\mu = 0.9$ consistent directions build up speed (up to $10\times$), while gradients that
flip sign from step to step cancel out. Think of a ball rolling down a valley rather than a
walker who stops at every step.

## Adam

Adam keeps two running averages per weight: of the gradient, $m$ (momentum), and of its
square, $s$. Each weight's step is divided by $\sqrt{s}$:

$$m \leftarrow \beta_1 m + (1-\beta_1) g, \quad s \leftarrow \beta_2 s + (1-\beta_2) g^2, \quad
w \leftarrow w - \alpha \frac{\hat{m}}{\sqrt{\hat{s}} + \epsilon}$$

($\hat{m}$, $\hat{s}$ correct the bias of starting at zero). Weights with small, steady
gradients get relatively larger steps, and those with large, noisy ones smaller steps. It is
a good default: the snippet uses `adam` at $\alpha = 0.01$ and reaches 0.98 accuracy.
"""

MOMENTUM_QUIZ = [
    _question(
        "momentum-idea",
        "What does momentum add to plain gradient descent?",
        [("a", "A running velocity of past gradients, so steady directions speed up", True),
         ("b", "A penalty on large weights", False),
         ("c", "A learning rate that decays every epoch", False)],
        "Momentum accumulates $v \\leftarrow \\mu v + \\nabla J$ and steps along $v$: "
        "consistent gradients add up, oscillating ones cancel.",
    ),
    _question(
        "adam-scaling",
        "Adam divides each weight's step by…",
        [("a", "The square root of a running average of that weight's squared gradients",
          True),
         ("b", "The number of epochs so far", False),
         ("c", "The size of the batch", False)],
        "Dividing by $\\sqrt{\\hat{s}}$ gives every weight its own effective step size, "
        "which is why Adam is less sensitive to the choice of $\\alpha$.",
    ),
]

# --- 7. Depth and vanishing gradients with sigmoid -----------------------------------------

VANISHING_LESSON = r"""# Depth and vanishing gradients

XOR: the class is whether $x_0 x_1 < 0$, four quadrants in a checkerboard. The snippet is a
network four hidden layers deep. With `relu` and He initialisation it reaches about 0.96;
with `sigmoid` in every layer the very same shape stays at a coin flip.

## Why

Backpropagation multiplies one factor per layer on the way back (the chain rule):

$$\frac{\partial J}{\partial W_1} = \frac{\partial J}{\partial a_L}
\prod_{l=2}^{L} \sigma'(z_l) \, W_l \;\cdots$$

The sigmoid $\sigma(z) = \frac{1}{1 + e^{-z}}$ has a derivative
$\sigma'(z) = \sigma(z)(1 - \sigma(z))$ of at most $0.25$. Four layers multiply four such
factors: the first layer's gradient is hundreds of times smaller than the last one's. The
early layers barely learn; this is the **vanishing gradient** problem. The engine measures
per-layer gradient norms during training and says so in its diagnosis.

`relu` has derivative 1 wherever it is active, so the product does not shrink layer by
layer; He initialisation (`he_normal`) sizes the first weights so that signals keep their
scale through the depth.
"""

VANISHING_QUIZ = [
    _question(
        "sigmoid-derivative",
        "Why do deep stacks of sigmoid layers learn slowly?",
        [("a", "The sigmoid's derivative is at most 0.25, so the backpropagated gradient "
               "shrinks with every layer", True),
         ("b", "Sigmoid outputs can be negative", False),
         ("c", "Sigmoid layers have more parameters than relu layers", False)],
        "The chain rule multiplies one $\\sigma'(z) \\le 0.25$ per layer; after a few layers "
        "the first layers' gradients have all but vanished.",
    ),
    _question(
        "vanishing-fix",
        "Which change helps most against vanishing gradients in this network?",
        [("a", "relu activations with He initialisation", True),
         ("b", "A smaller learning rate", False),
         ("c", "More sigmoid layers", False)],
        "relu passes gradients through unchanged where it is active, and He initialisation "
        "keeps the signal's scale through the layers.",
    ),
]

# --- 8. The real digits dataset ------------------------------------------------------------

DIGITS_LESSON = r"""# Handwritten digits

Real data at last: scikit-learn's 1,797 scans of handwritten digits, each an 8×8 image
flattened into 64 inputs (standardised), ten classes. Everything from the path comes together:

- **softmax + cross-entropy** for ten classes: $J = -\frac{1}{n}\sum_i \log p_{i, c_i}$;
- **mini-batches** of 32 and **Adam** at a moderate learning rate;
- **relu** with He initialisation so the gradients flow;
- and a budget: watch the validation loss for **overfitting**, since 64 inputs into 32 hidden
  units is already 2,080 weights for ~1,000 training images. `l2` (weight decay) or
  `early_stopping` help if the validation loss turns upward.

The careless snippet uses `sigmoid`, plain `sgd` at $\alpha = 0.01$ and five epochs: it gets a
third of the digits right. The snippet reaches about 0.98 on the hidden test split in 30
epochs.
"""

DIGITS_QUIZ = [
    _question(
        "overfitting-sign",
        "Which sign on the loss chart says the network is overfitting?",
        [("a", "The training loss keeps falling while the validation loss turns upward", True),
         ("b", "Both losses fall together", False),
         ("c", "The training loss becomes NaN", False)],
        "The network starts memorising the training images: better on them, worse on images "
        "it has not seen. Stop earlier (early_stopping), shrink the network, or add l2.",
    ),
    _question(
        "digits-outputs",
        "How many units does the digits network's last layer need?",
        [("a", "10, one per digit, with softmax", True),
         ("b", "64, one per pixel", False),
         ("c", "1, the digit as a number", False)],
        "Classification over ten classes: one softmax output per class. Predicting the digit "
        "as a number would make '4' halfway between '3' and '5', which means nothing.",
    ),
]

# --- the path ------------------------------------------------------------------------------

# Shared by every demo challenge: a run should finish well inside two minutes.
WORLD_DEFAULTS: dict[str, Any] = {"time_limit_seconds": 120, "daily_quota": 20}

BLUEPRINT_WORLD: list[dict[str, Any]] = [
    {
        "challenge": {
            "slug": "fit-a-line", "title": "Fit a line", "lesson": FIT_A_LINE_LESSON,
            "dataset": "linear", "dataset_params": {"noise": 0.1}, "metric": "mse",
            "max_parameters": 100, "max_epochs": 500, "max_work": 50_000_000,
            "unlock_threshold": 0.02,
            "starter_spec": _spec(_layers((1, "linear")), loss="mse", optimizer="sgd",
                                  learning_rate=0.05, epochs=50),
        },
        "title": "Fit a line with MSE",
        "summary": "One linear unit, the squared error and the update rule.",
        "prerequisites": [],
        # test mse 0.0089 (threshold: at most 0.02)
        "snippet": _spec(_layers((1, "linear")), loss="mse", optimizer="sgd",
                         learning_rate=0.05, epochs=50),
        "expected": 0.0089,
        # test mse 0.27: the line has hardly moved
        "careless_snippet": _spec(_layers((1, "linear")), loss="mse", optimizer="sgd",
                                  learning_rate=0.0005, epochs=20),
        "careless_expected": 0.27,
        "careless_why": "At learning rate 0.0005 for 20 epochs the weights barely leave their "
                        "starting values: test MSE 0.27, far above 0.02.",
        "quiz": FIT_A_LINE_QUIZ,
    },
    {
        "challenge": {
            "slug": "blobs", "title": "Blobs", "lesson": BLOBS_LESSON,
            "dataset": "blobs", "dataset_params": {"noise": 2.5}, "metric": "accuracy",
            "max_parameters": 2_000, "max_epochs": 500, "max_work": 500_000_000,
            "unlock_threshold": 0.85,
            # test accuracy 0.900 (validation 0.908) in 60 epochs
            "starter_spec": _spec(_layers((16, "relu"), (3, "softmax")), init="he_normal",
                                  loss="cross_entropy", optimizer="adam", learning_rate=0.01,
                                  epochs=60),
        },
        "title": "Classify blobs with cross-entropy",
        "summary": "Softmax outputs and the loss for classes.",
        "prerequisites": ["fit-a-line"],
        "snippet": _spec(_layers((16, "relu"), (3, "softmax")), init="he_normal",
                         loss="cross_entropy", optimizer="adam", learning_rate=0.01, epochs=60),
        "expected": 0.900,
        "careless_snippet": _spec(_layers((16, "relu"), (3, "softmax")), init="he_normal",
                                  loss="cross_entropy", optimizer="sgd", learning_rate=0.0001,
                                  epochs=10),
        "careless_expected": 0.283,
        "careless_why": "Plain SGD at 0.0001 for 10 epochs leaves the network near its random "
                        "start: 0.28 accuracy, worse than always guessing one class.",
        "quiz": BLOBS_QUIZ,
    },
    {
        "challenge": {
            "slug": "full-batch-gd", "title": "Full-batch gradient descent",
            "lesson": FULL_BATCH_LESSON,
            "dataset": "moons", "dataset_params": {"noise": 0.1}, "metric": "accuracy",
            "max_parameters": 500, "max_epochs": 3_000, "max_work": 500_000_000,
            "unlock_threshold": 0.97,
            "starter_spec": _spec(_layers((16, "tanh"), (1, "sigmoid")),
                                  loss="binary_cross_entropy", optimizer="gd",
                                  learning_rate=0.5, epochs=30, batch_size="full"),
        },
        "title": "Full-batch gradient descent",
        "summary": "The exact gradient, one step per epoch.",
        "prerequisites": ["fit-a-line"],
        "snippet": _spec(_layers((16, "tanh"), (1, "sigmoid")), loss="binary_cross_entropy",
                         optimizer="gd", learning_rate=0.5, epochs=1000, batch_size="full"),
        "expected": 1.0,
        "careless_snippet": _spec(_layers((16, "tanh"), (1, "sigmoid")),
                                  loss="binary_cross_entropy", optimizer="gd",
                                  learning_rate=0.5, epochs=30, batch_size="full"),
        "careless_expected": 0.90,
        "careless_why": "30 epochs of full-batch descent are only 30 updates: the boundary is "
                        "still almost straight (0.90, below 0.97).",
        "quiz": FULL_BATCH_QUIZ,
    },
    {
        "challenge": {
            "slug": "learning-rate", "title": "The learning rate",
            "lesson": LEARNING_RATE_LESSON,
            "dataset": "polynomial", "dataset_params": {"noise": 0.1}, "metric": "r2",
            "max_parameters": 500, "max_epochs": 1_000, "max_work": 500_000_000,
            "unlock_threshold": 0.95,
            # The starter is the careless spec on purpose: it diverges; the lesson fixes it.
            "starter_spec": _spec(_layers((32, "tanh"), (1, "linear")), loss="mse",
                                  optimizer="sgd", learning_rate=1.0, epochs=200),
        },
        "title": "The learning rate: diverge, then fix it",
        "summary": "Too small crawls, too large explodes.",
        "prerequisites": ["blobs", "full-batch-gd"],
        "snippet": _spec(_layers((32, "tanh"), (1, "linear")), loss="mse", optimizer="sgd",
                         learning_rate=0.05, epochs=200),
        "expected": 0.994,
        "careless_snippet": _spec(_layers((32, "tanh"), (1, "linear")), loss="mse",
                                  optimizer="sgd", learning_rate=1.0, epochs=200),
        "careless_expected": None,  # diverged: no score
        "careless_why": "At learning rate 1.0 every step overshoots: the loss is NaN within "
                        "the first epoch and the run ends as diverged.",
        "quiz": LEARNING_RATE_QUIZ,
    },
    {
        "challenge": {
            "slug": "spirals", "title": "Spirals", "lesson": SPIRALS_LESSON,
            "dataset": "spirals", "dataset_params": {"noise": 0.3}, "metric": "accuracy",
            "max_parameters": 10_000, "max_epochs": 2_000, "max_work": 20_000_000_000,
            "unlock_threshold": 0.95,
            # test accuracy 0.933 (validation 0.958) in 100 epochs: below the threshold on
            # purpose, so that clearing it takes a change.
            "starter_spec": _spec(_layers((16, "tanh"), (3, "softmax")), loss="cross_entropy",
                                  optimizer="sgd", learning_rate=0.1, epochs=100),
        },
        "title": "Mini-batch SGD on spirals",
        "summary": "Many noisy steps beat a few exact ones.",
        "prerequisites": ["learning-rate"],
        "snippet": _spec(_layers((32, "tanh"), (3, "softmax")), loss="cross_entropy",
                         optimizer="sgd", learning_rate=0.1, epochs=300, batch_size=16),
        "expected": 0.975,
        "careless_snippet": _spec(_layers((16, "tanh"), (3, "softmax")), loss="cross_entropy",
                                  optimizer="sgd", learning_rate=0.1, epochs=100),
        "careless_expected": 0.933,
        "careless_why": "The starter spec: too narrow and too short to wind around all three "
                        "arms (0.933, below 0.95).",
        "quiz": SPIRALS_QUIZ,
    },
    {
        "challenge": {
            "slug": "momentum-adam", "title": "Momentum and Adam", "lesson": MOMENTUM_LESSON,
            "dataset": "circles", "dataset_params": {"noise": 0.1}, "metric": "accuracy",
            "max_parameters": 1_000, "max_epochs": 500, "max_work": 500_000_000,
            "unlock_threshold": 0.95,
            "starter_spec": _spec(_layers((16, "relu"), (1, "sigmoid")), init="he_normal",
                                  loss="binary_cross_entropy", optimizer="sgd",
                                  learning_rate=0.01, epochs=60),
        },
        "title": "Momentum and Adam",
        "summary": "Smarter steps: velocity and per-weight scaling.",
        "prerequisites": ["learning-rate"],
        "snippet": _spec(_layers((16, "relu"), (1, "sigmoid")), init="he_normal",
                         loss="binary_cross_entropy", optimizer="adam", learning_rate=0.01,
                         epochs=60),
        "expected": 0.983,
        "careless_snippet": _spec(_layers((16, "relu"), (1, "sigmoid")), init="he_normal",
                                  loss="binary_cross_entropy", optimizer="sgd",
                                  learning_rate=0.01, epochs=60),
        "careless_expected": 0.783,
        "careless_why": "Plain SGD at 0.01 for 60 epochs is still crawling toward the circle "
                        "(0.78); Adam with the same rate and epochs reaches 0.98.",
        "quiz": MOMENTUM_QUIZ,
    },
    {
        "challenge": {
            "slug": "vanishing-gradients", "title": "Depth and vanishing gradients",
            "lesson": VANISHING_LESSON,
            "dataset": "xor", "dataset_params": {"noise": 0.05}, "metric": "accuracy",
            "max_parameters": 2_000, "max_epochs": 500, "max_work": 1_000_000_000,
            "unlock_threshold": 0.90,
            "starter_spec": _spec(_layers((16, "sigmoid"), (16, "sigmoid"), (16, "sigmoid"),
                                          (16, "sigmoid"), (1, "sigmoid")),
                                  loss="binary_cross_entropy", optimizer="sgd",
                                  learning_rate=0.05, epochs=100),
        },
        "title": "Depth and vanishing gradients",
        "summary": "Why deep sigmoid stacks stall, and what relu changes.",
        "prerequisites": ["spirals", "momentum-adam"],
        "snippet": _spec(_layers((16, "relu"), (16, "relu"), (16, "relu"), (16, "relu"),
                                 (1, "sigmoid")), init="he_normal",
                         loss="binary_cross_entropy", optimizer="sgd", learning_rate=0.05,
                         epochs=100),
        "expected": 0.958,
        "careless_snippet": _spec(_layers((16, "sigmoid"), (16, "sigmoid"), (16, "sigmoid"),
                                          (16, "sigmoid"), (1, "sigmoid")),
                                  loss="binary_cross_entropy", optimizer="sgd",
                                  learning_rate=0.05, epochs=100),
        "careless_expected": 0.542,
        "careless_why": "Four sigmoid layers: the first layers' gradients vanish and the "
                        "network stays at a coin flip (0.54).",
        "quiz": VANISHING_QUIZ,
    },
    {
        "challenge": {
            "slug": "digits", "title": "Handwritten digits", "lesson": DIGITS_LESSON,
            "dataset": "digits", "dataset_params": {}, "metric": "accuracy",
            "max_parameters": 10_000, "max_epochs": 300, "max_work": 5_000_000_000,
            "unlock_threshold": 0.95,
            "starter_spec": _spec(_layers((32, "relu"), (10, "softmax")), init="he_normal",
                                  loss="cross_entropy", optimizer="adam", learning_rate=0.005,
                                  epochs=30),
        },
        "title": "The real digits dataset",
        "summary": "Everything together on real images.",
        "prerequisites": ["vanishing-gradients"],
        "snippet": _spec(_layers((32, "relu"), (10, "softmax")), init="he_normal",
                         loss="cross_entropy", optimizer="adam", learning_rate=0.005,
                         epochs=30),
        "expected": 0.981,
        "careless_snippet": _spec(_layers((32, "sigmoid"), (10, "softmax")),
                                  loss="cross_entropy", optimizer="sgd", learning_rate=0.01,
                                  epochs=5),
        "careless_expected": 0.322,
        "careless_why": "Sigmoid, plain SGD at 0.01 and five epochs: a third of the digits "
                        "right.",
        "quiz": DIGITS_QUIZ,
    },
]
