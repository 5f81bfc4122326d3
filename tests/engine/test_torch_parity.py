"""Full-batch training against PyTorch from the same initial weights: same losses per epoch.

PyTorch is a test-only dependency; without it these tests are skipped.
"""

from types import SimpleNamespace

import numpy as np
import pytest

from descent.engine import build_model, parse_spec, train

torch = pytest.importorskip("torch")

EPOCHS = 15
TOLERANCE = 1e-5
TORCH_ACTIVATIONS = {
    "relu": lambda: torch.nn.ReLU(),
    "leaky_relu": lambda: torch.nn.LeakyReLU(0.01),
    "elu": lambda: torch.nn.ELU(1.0),
    "gelu": lambda: torch.nn.GELU(approximate="tanh"),
    "sigmoid": lambda: torch.nn.Sigmoid(),
    "tanh": lambda: torch.nn.Tanh(),
    "linear": lambda: torch.nn.Identity(),
}


def dataset(task: str, n: int = 64, n_inputs: int = 4, seed: int = 0) -> SimpleNamespace:
    """Return a small float32 dataset of `task` ("multiclass", "binary" or "regression")."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2 * n, n_inputs)).astype(np.float32)
    if task == "multiclass":
        y, n_outputs = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5), 3
    elif task == "binary":
        y, n_outputs = (X[:, 0] * X[:, 1] > 0).astype(np.int64), 1
    else:
        y, n_outputs = np.stack([np.sin(X[:, 0]), X[:, 1] * X[:, 2]], 1).astype(np.float32), 2
    return SimpleNamespace(
        task=task,
        n_inputs=n_inputs,
        n_outputs=n_outputs,
        X_train=X[:n],
        y_train=y[:n],
        X_val=X[n:],
        y_val=y[n:],
    )


def torch_losses(spec: dict, data: SimpleNamespace) -> list[float]:
    """Train the same network in PyTorch, full batch, and return the loss of each epoch."""
    torch.set_num_threads(1)
    engine_model = build_model(spec, data.n_inputs, seed=spec["seed"])
    modules: list = []
    parameters = engine_model.parameters()
    pairs = zip(parameters[::2], parameters[1::2], strict=True)
    for layer, (W, b) in zip(spec["layers"], pairs, strict=True):
        linear = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(b.copy()))
        modules.append(linear)
        if layer["activation"] not in ("softmax",) and not (
            spec["loss"] == "binary_cross_entropy" and layer is spec["layers"][-1]
        ):
            modules.append(TORCH_ACTIVATIONS[layer["activation"]]())
    model = torch.nn.Sequential(*modules)
    X = torch.from_numpy(data.X_train)
    loss_fn, y = {
        "cross_entropy": (torch.nn.CrossEntropyLoss(), torch.from_numpy(data.y_train)),
        "binary_cross_entropy": (
            torch.nn.BCEWithLogitsLoss(),
            torch.from_numpy(data.y_train.reshape(-1, 1).astype(np.float32)),
        ),
        "mse": (torch.nn.MSELoss(), torch.from_numpy(data.y_train)),
        "mae": (torch.nn.L1Loss(), torch.from_numpy(data.y_train)),
        "huber": (torch.nn.HuberLoss(delta=1.0), torch.from_numpy(data.y_train)),
    }[spec["loss"]]
    optimizer = make_torch_optimizer(spec["optimizer"], model.parameters())
    lr = spec["optimizer"]["learning_rate"]
    schedule = spec["schedule"]
    warmup = schedule["warmup_epochs"]
    losses = []
    for epoch in range(1, spec["epochs"] + 1):
        # The documented schedule, written out again for PyTorch's param_groups.
        if epoch <= warmup:
            rate = lr * epoch / (warmup + 1)
        elif schedule["name"] == "exponential":
            rate = lr * schedule["gamma"] ** (epoch - warmup - 1)
        else:
            rate = lr
        for group in optimizer.param_groups:
            group["lr"] = rate
        loss = loss_fn(model(X), y)
        losses.append(loss.item())
        if spec["l2"]:
            weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
            loss = loss + spec["l2"] / 2 * sum((w * w).sum() for w in weights)
        optimizer.zero_grad()
        loss.backward()
        if spec["gradient_clip"]:
            torch.nn.utils.clip_grad_norm_(model.parameters(), spec["gradient_clip"])
        optimizer.step()
    return losses


def make_torch_optimizer(settings: dict, parameters) -> "torch.optim.Optimizer":
    """Return the PyTorch optimizer matching an engine optimizer section."""
    name, lr = settings["name"], settings["learning_rate"]
    if name in ("gd", "sgd"):
        return torch.optim.SGD(parameters, lr=lr)
    if name in ("momentum", "nesterov"):
        return torch.optim.SGD(
            parameters, lr=lr, momentum=settings["momentum"], nesterov=name == "nesterov"
        )
    if name == "adagrad":
        return torch.optim.Adagrad(parameters, lr=lr, eps=settings["eps"])
    if name == "rmsprop":
        return torch.optim.RMSprop(parameters, lr=lr, alpha=settings["beta2"], eps=settings["eps"])
    betas = (settings["beta1"], settings["beta2"])
    if name == "adam":
        return torch.optim.Adam(parameters, lr=lr, betas=betas, eps=settings["eps"])
    return torch.optim.AdamW(
        parameters, lr=lr, betas=betas, eps=settings["eps"], weight_decay=settings["weight_decay"]
    )


def assert_parity(raw_spec: dict, task: str) -> None:
    """Assert the engine's per-epoch train loss matches PyTorch's within TOLERANCE."""
    spec = parse_spec({"epochs": EPOCHS, "batch_size": "full", "seed": 3, **raw_spec})
    data = dataset(task)
    engine = [record["train_loss"] for record in train(spec, data).history]
    np.testing.assert_allclose(engine, torch_losses(spec, data), atol=TOLERANCE, rtol=0)


CLASSIFIER = [
    {"units": 16, "activation": "tanh"},
    {"units": 16, "activation": "relu"},
    {"units": 3, "activation": "softmax"},
]
OPTIMIZERS = {
    "gd": {"name": "gd", "learning_rate": 0.1},
    "sgd": {"name": "sgd", "learning_rate": 0.1},
    "momentum": {"name": "momentum", "learning_rate": 0.05},
    "nesterov": {"name": "nesterov", "learning_rate": 0.05},
    "adagrad": {"name": "adagrad", "learning_rate": 0.05},
    "rmsprop": {"name": "rmsprop", "learning_rate": 0.005},
    "adam": {"name": "adam", "learning_rate": 0.01},
    "adamw": {"name": "adamw", "learning_rate": 0.01, "weight_decay": 0.1},
}


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_matches_pytorch_epoch_by_epoch(optimizer: str) -> None:
    assert_parity(
        {
            "layers": CLASSIFIER,
            "loss": "cross_entropy",
            "init": "he_normal",
            "optimizer": OPTIMIZERS[optimizer],
        },
        "multiclass",
    )


@pytest.mark.parametrize(
    ("activation", "loss", "task", "units"),
    [
        ("gelu", "mse", "regression", 2),
        ("elu", "huber", "regression", 2),
        ("sigmoid", "mae", "regression", 2),
        ("leaky_relu", "binary_cross_entropy", "binary", 1),
    ],
)
def test_activations_and_losses_match_pytorch(activation, loss, task, units) -> None:
    last = "sigmoid" if loss == "binary_cross_entropy" else "linear"
    assert_parity(
        {
            "layers": [
                {"units": 12, "activation": activation},
                {"units": units, "activation": last},
            ],
            "loss": loss,
            "optimizer": {"name": "adam", "learning_rate": 0.02},
        },
        task,
    )


def test_l2_clipping_and_warmup_match_pytorch() -> None:
    assert_parity(
        {
            "layers": CLASSIFIER,
            "loss": "cross_entropy",
            "l2": 0.01,
            "gradient_clip": 0.2,
            "optimizer": {"name": "momentum", "learning_rate": 0.2},
            "schedule": {"name": "exponential", "gamma": 0.9, "warmup_epochs": 3},
        },
        "multiclass",
    )
