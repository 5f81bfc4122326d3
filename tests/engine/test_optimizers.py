"""The first steps of each optimizer and schedule against formulas written out by hand.

The expectations follow PyTorch's documented update rules, coded here one scalar at a time and
independently of `descent.engine.optimizers`, which works on whole buffers.
"""

import math

import numpy as np
import pytest

from descent.engine import parse_spec
from descent.engine.optimizers import make_optimizer
from descent.engine.schedules import learning_rate_at

START = [1.0, -2.0, 0.5, 0.0]
# Fixed gradients for three steps (they need not come from a loss to test an update rule).
GRADIENTS = [[0.1, -0.2, 0.3, 0.0], [0.4, 0.1, -0.3, 0.2], [-0.2, 0.05, 0.3, -0.1]]
LR = 0.1


def run_engine(optimizer: dict) -> list[list[float]]:
    """Return the parameters after each of three engine steps, in float64."""
    settings = parse_spec(
        {
            "layers": [{"units": 1, "activation": "linear"}],
            "loss": "mse",
            "optimizer": optimizer,
        }
    )["optimizer"]
    params = np.array(START)
    step = make_optimizer(settings, params.size, params.dtype)
    trajectory = []
    for gradient in GRADIENTS:
        step.step(params, np.array(gradient), LR)
        trajectory.append(params.tolist())
    return trajectory


def by_hand(update) -> list[list[float]]:
    """Return the trajectory of `update(p, g, state, t) -> p` applied entry by entry."""
    params = list(START)
    states: list[dict] = [{} for _ in params]
    trajectory = []
    for t, gradient in enumerate(GRADIENTS, start=1):
        params = [update(p, g, s, t) for p, g, s in zip(params, gradient, states, strict=True)]
        trajectory.append(params)
    return trajectory


def sgd(p, g, s, t):
    return p - LR * g


def momentum(p, g, s, t, mu=0.9, nesterov=False):
    s["buf"] = g if t == 1 else mu * s["buf"] + g
    direction = g + mu * s["buf"] if nesterov else s["buf"]
    return p - LR * direction


def adagrad(p, g, s, t, eps=1e-10):
    s["sum"] = s.get("sum", 0.0) + g * g
    return p - LR * g / (math.sqrt(s["sum"]) + eps)


def rmsprop(p, g, s, t, alpha=0.99, eps=1e-8):
    s["avg"] = alpha * s.get("avg", 0.0) + (1 - alpha) * g * g
    return p - LR * g / (math.sqrt(s["avg"]) + eps)


def adam(p, g, s, t, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    p = p * (1 - LR * weight_decay)
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    m_hat = s["m"] / (1 - b1**t)
    denominator = math.sqrt(s["v"]) / math.sqrt(1 - b2**t) + eps
    return p - LR * m_hat / denominator


CASES = {
    "gd": ({"name": "gd"}, sgd),
    "sgd": ({"name": "sgd"}, sgd),
    "momentum": ({"name": "momentum"}, momentum),
    "momentum 0.5": ({"name": "momentum", "momentum": 0.5}, lambda *a: momentum(*a, mu=0.5)),
    "nesterov": ({"name": "nesterov"}, lambda *a: momentum(*a, nesterov=True)),
    "adagrad": ({"name": "adagrad"}, adagrad),
    "rmsprop": ({"name": "rmsprop"}, rmsprop),
    "rmsprop 0.9": (
        {"name": "rmsprop", "beta2": 0.9, "eps": 1e-3},
        lambda *a: rmsprop(*a, alpha=0.9, eps=1e-3),
    ),
    "adam": ({"name": "adam"}, adam),
    "adam betas": (
        {"name": "adam", "beta1": 0.5, "beta2": 0.9, "eps": 1e-2},
        lambda *a: adam(*a, b1=0.5, b2=0.9, eps=1e-2),
    ),
    "adamw": ({"name": "adamw"}, lambda *a: adam(*a, weight_decay=0.01)),
    "adamw 0.5": ({"name": "adamw", "weight_decay": 0.5}, lambda *a: adam(*a, weight_decay=0.5)),
}


@pytest.mark.parametrize("case", CASES)
def test_first_three_steps_follow_the_optimizer_formula(case: str) -> None:
    settings, update = CASES[case]
    expected = by_hand(update)
    actual = run_engine({**settings, "learning_rate": LR})
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-14)


def test_adamw_decays_every_parameter_even_with_zero_gradient() -> None:
    # The last entry has gradient 0 at step 1 and starts at 0: decay alone would keep it at 0,
    # so use a parameter that starts away from zero.
    params = np.array([2.0])
    settings = parse_spec({"layers": [{"units": 1, "activation": "linear"}], "loss": "mse",
                           "optimizer": {"name": "adamw", "learning_rate": LR,
                                         "weight_decay": 0.5}})["optimizer"]
    step = make_optimizer(settings, 1, params.dtype)
    step.step(params, np.array([0.0]), LR)
    assert params[0] == pytest.approx(2.0 * (1 - LR * 0.5))


def schedule_spec(schedule: dict, epochs: int = 10) -> dict:
    """Return a normalised spec with this schedule and learning rate 0.1."""
    return parse_spec(
        {
            "layers": [{"units": 1, "activation": "linear"}],
            "loss": "mse",
            "optimizer": {"name": "sgd", "learning_rate": 0.1},
            "schedule": schedule,
            "epochs": epochs,
        }
    )


WARMUP = [0.1 * 1 / 3, 0.1 * 2 / 3]
SCHEDULE_CASES = {
    "constant": ({"name": "constant", "warmup_epochs": 2}, [*WARMUP, 0.1, 0.1, 0.1]),
    "step": (
        {"name": "step", "step_size": 2, "gamma": 0.5, "warmup_epochs": 2},
        [*WARMUP, 0.1, 0.1, 0.05],
    ),
    "exponential": (
        {"name": "exponential", "gamma": 0.5, "warmup_epochs": 2},
        [*WARMUP, 0.1, 0.05, 0.025],
    ),
    # T = 10 - 2 - 1 = 7 epochs of cosine after warmup, from 0.1 down to 0.01.
    "cosine": (
        {"name": "cosine", "min_learning_rate": 0.01, "warmup_epochs": 2},
        [
            *WARMUP,
            0.1,
            0.01 + 0.09 * (1 + math.cos(math.pi / 7)) / 2,
            0.01 + 0.09 * (1 + math.cos(2 * math.pi / 7)) / 2,
        ],
    ),
    "step without warmup": ({"name": "step", "step_size": 1, "gamma": 0.1}, [0.1, 0.01, 0.001]),
}


@pytest.mark.parametrize("case", SCHEDULE_CASES)
def test_schedule_sets_the_documented_learning_rate_per_epoch(case: str) -> None:
    schedule, expected = SCHEDULE_CASES[case]
    spec = schedule_spec(schedule)
    actual = [learning_rate_at(spec, epoch) for epoch in range(1, len(expected) + 1)]
    np.testing.assert_allclose(actual, expected, rtol=1e-12)


def test_cosine_reaches_its_floor_on_the_last_epoch() -> None:
    spec = schedule_spec({"name": "cosine", "min_learning_rate": 0.01, "warmup_epochs": 2})
    assert learning_rate_at(spec, 10) == pytest.approx(0.01)
