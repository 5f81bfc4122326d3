"""Time Descent's numpy engine against scikit-learn and PyTorch on three workloads.

    python bench/engine.py [--quick]        (or `make bench-engine`)

Each framework runs in a fresh subprocess with one BLAS thread (OMP/OPENBLAS/MKL_NUM_THREADS=1,
and `torch.set_num_threads(1)`). An epoch is every training step over the shuffled batches
plus the loss on the validation split, for every framework, because the engine's epoch
computes that loss too. A run builds the model and trains a fixed number of epochs; the
figure is the median over runs of the run's time per epoch. The engine's share of the
float32 matmul peak is its matmul FLOP/s on W2 over a large single-thread sgemm measured in
the same session, and its peak extra memory on W2 is what tracemalloc (which numpy reports its
buffers to) sees allocated during `train`, the data excluded.

Workloads:
    W1  digits (1078 train rows x 64), 64-128-64-10 ReLU, cross-entropy, batch 32, Adam
    W2  synthetic 20000 x 784, 10 classes, 784-256-128-10 ReLU, batch 128, Adam
    W3  1000 x 2 regression, 2-16-16-1 tanh, MSE, full-batch gradient descent, 500 epochs
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

WORKLOADS: dict[str, dict[str, Any]] = {
    "W1": {
        "hidden": [128, 64],
        "activation": "relu",
        "loss": "cross_entropy",
        "optimizer": "adam",
        "learning_rate": 0.001,
        "batch_size": 32,
        "epochs": 20,
    },
    "W2": {
        "hidden": [256, 128],
        "activation": "relu",
        "loss": "cross_entropy",
        "optimizer": "adam",
        "learning_rate": 0.001,
        "batch_size": 128,
        "epochs": 3,
    },
    "W3": {
        "hidden": [16, 16],
        "activation": "tanh",
        "loss": "mse",
        "optimizer": "gd",
        "learning_rate": 0.1,
        "batch_size": "full",
        "epochs": 500,
    },
}
QUICK_EPOCHS = {"W1": 5, "W2": 1, "W3": 100}


def load(workload: str) -> SimpleNamespace:
    """Return the workload's data as a `Dataset`-like namespace (float32, standardised)."""
    if workload == "W1":
        sys.path.insert(0, str(ROOT))
        from descent.engine.datasets import load_dataset

        digits = load_dataset("digits", seed=0)
        fields = ("task", "n_inputs", "n_outputs", "X_train", "y_train", "X_val", "y_val")
        return SimpleNamespace(**{name: getattr(digits, name) for name in fields})
    rng = np.random.default_rng(0)
    if workload == "W2":
        n, n_val, width, classes = 20000, 2000, 784, 10
        centres = rng.normal(size=(classes, width)).astype(np.float32) * 0.3
        y = rng.integers(0, classes, size=n + n_val)
        X = rng.normal(size=(n + n_val, width)).astype(np.float32) + centres[y]
        return SimpleNamespace(
            task="multiclass",
            n_inputs=width,
            n_outputs=classes,
            X_train=X[:n],
            y_train=y[:n],
            X_val=X[n:],
            y_val=y[n:],
        )
    n, n_val = 1000, 200
    X = rng.uniform(-2, 2, size=(n + n_val, 2)).astype(np.float32)
    y = (np.sin(2 * X[:, :1]) * np.cos(X[:, 1:])).astype(np.float32)
    return SimpleNamespace(
        task="regression",
        n_inputs=2,
        n_outputs=1,
        X_train=X[:n],
        y_train=y[:n],
        X_val=X[n:],
        y_val=y[n:],
    )


def engine_spec(workload: str, epochs: int) -> dict[str, Any]:
    """Return the normalised engine spec of a workload."""
    from descent.engine.spec import parse_spec

    w = WORKLOADS[workload]
    output = {
        "cross_entropy": {"units": 10, "activation": "softmax"},
        "mse": {"units": 1, "activation": "linear"},
    }[w["loss"]]
    layers = [{"units": units, "activation": w["activation"]} for units in w["hidden"]]
    return parse_spec(
        {
            "layers": [*layers, output],
            "loss": w["loss"],
            "init": "he_uniform",
            "optimizer": {"name": w["optimizer"], "learning_rate": w["learning_rate"]},
            "batch_size": w["batch_size"],
            "epochs": epochs,
            "seed": 0,
        }
    )


def matmul_flops(workload: str, data: SimpleNamespace) -> float:
    """Return the matmul FLOPs of one epoch: forward, dW and dX on train, forward on val."""
    widths = [data.n_inputs, *WORKLOADS[workload]["hidden"], data.n_outputs]
    products = [a * b for a, b in pairwise(widths)]
    train = len(data.X_train) * (2 * sum(products) + sum(products[1:]))
    return 2.0 * (train + len(data.X_val) * sum(products))


def run_engine(workload: str, epochs: int, runs: int) -> dict[str, Any]:
    """Time `descent.engine.train`; on W2 also measure its peak extra memory."""
    from descent.engine.training import train

    data, spec = load(workload), engine_spec(workload, epochs)
    train(engine_spec(workload, 1), data)  # warm numpy and BLAS up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = train(spec, data)
        times.append((time.perf_counter() - start) / epochs)
    out: dict[str, Any] = {
        "seconds": times,
        "final_loss": result.history[-1]["train_loss"],
        "flops": matmul_flops(workload, data),
    }
    if workload == "W2":
        import tracemalloc

        tracemalloc.start()
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        train(engine_spec(workload, 1), data)
        out["peak_extra_bytes"] = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
    return out


def run_sklearn(workload: str, epochs: int, runs: int, dtype: type = np.float32) -> dict[str, Any]:
    """Time scikit-learn's MLP, one `partial_fit` (one epoch) at a time.

    scikit-learn computes in the dtype of the data it gets: float32 like the engine here, or
    float64 (its usual case: most loaders return float64) with `run_sklearn_float64`.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import log_loss, mean_squared_error
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    warnings.simplefilter("ignore", ConvergenceWarning)
    w, data = WORKLOADS[workload], load(workload)
    data.X_train, data.X_val = data.X_train.astype(dtype), data.X_val.astype(dtype)
    classes = np.arange(data.n_outputs)
    full = w["batch_size"] == "full"

    def one_run(n_epochs: int) -> float:
        common = {
            "hidden_layer_sizes": tuple(w["hidden"]),
            "alpha": 0.0,
            "random_state": 0,
            "learning_rate_init": w["learning_rate"],
            "batch_size": len(data.X_train) if full else w["batch_size"],
        }
        if w["optimizer"] == "gd":
            common.update(solver="sgd", momentum=0.0, nesterovs_momentum=False)
        else:
            common.update(solver="adam")
        start = time.perf_counter()
        if w["loss"] == "cross_entropy":
            model = MLPClassifier(activation=w["activation"], **common)
            for _ in range(n_epochs):
                model.partial_fit(data.X_train, data.y_train, classes=classes)
                log_loss(data.y_val, model.predict_proba(data.X_val), labels=classes)
        else:
            model = MLPRegressor(activation=w["activation"], **common)
            for _ in range(n_epochs):
                model.partial_fit(data.X_train, data.y_train.ravel())
                mean_squared_error(data.y_val.ravel(), model.predict(data.X_val))
        return (time.perf_counter() - start) / n_epochs

    one_run(1)
    return {"seconds": [one_run(epochs) for _ in range(runs)]}


def run_sklearn_float64(workload: str, epochs: int, runs: int) -> dict[str, Any]:
    """Time scikit-learn's MLP on the same data cast to float64."""
    return run_sklearn(workload, epochs, runs, np.float64)


def run_torch(workload: str, epochs: int, runs: int) -> dict[str, Any]:
    """Time PyTorch CPU eager: Adam(fused=True), or SGD without momentum for W3."""
    import torch

    torch.set_num_threads(1)
    w, data = WORKLOADS[workload], load(workload)
    X, X_val = torch.from_numpy(data.X_train), torch.from_numpy(data.X_val)
    classification = w["loss"] == "cross_entropy"
    y = torch.from_numpy(data.y_train if classification else data.y_train.reshape(-1, 1))
    y_val = torch.from_numpy(data.y_val if classification else data.y_val.reshape(-1, 1))
    loss_fn = torch.nn.CrossEntropyLoss() if classification else torch.nn.MSELoss()
    activation = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[w["activation"]]
    widths = [data.n_inputs, *w["hidden"], data.n_outputs]
    n = len(X)
    batch_size = n if w["batch_size"] == "full" else w["batch_size"]

    def one_run(n_epochs: int) -> float:
        torch.manual_seed(0)
        start = time.perf_counter()
        modules: list[torch.nn.Module] = []
        for a, b in pairwise(widths):
            modules += [torch.nn.Linear(a, b), activation()]
        model = torch.nn.Sequential(*modules[:-1])
        if w["optimizer"] == "adam":
            optimizer = torch.optim.Adam(model.parameters(), lr=w["learning_rate"], fused=True)
        else:
            optimizer = torch.optim.SGD(model.parameters(), lr=w["learning_rate"])
        for _ in range(n_epochs):
            order = torch.randperm(n) if batch_size < n else None
            for i in range(0, n, batch_size):
                if order is None:
                    xb, yb = X, y
                else:
                    index = order[i : i + batch_size]
                    xb, yb = X[index], y[index]
                loss = loss_fn(model(xb), yb)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            with torch.no_grad():
                loss_fn(model(X_val), y_val).item()
        return (time.perf_counter() - start) / n_epochs

    one_run(1)
    return {"seconds": [one_run(epochs) for _ in range(runs)], "version": torch.__version__}


def run_peak(workload: str, epochs: int, runs: int) -> dict[str, Any]:
    """Measure numpy's single-thread float32 matmul rate on a large square product."""
    size = 2048
    rng = np.random.default_rng(0)
    A = rng.random((size, size), dtype=np.float32)
    B = rng.random((size, size), dtype=np.float32)
    C = np.empty_like(A)
    np.matmul(A, B, out=C)
    best = min(_timed(lambda: np.matmul(A, B, out=C)) for _ in range(max(runs, 3)))
    return {"flops_per_second": 2.0 * size**3 / best}


def _timed(work: Any) -> float:
    """Return the wall time of one call of `work`."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


RUNNERS = {
    "engine": run_engine,
    "sklearn": run_sklearn,
    "sklearn64": run_sklearn_float64,
    "torch": run_torch,
    "peak": run_peak,
}


def in_subprocess(framework: str, workload: str, epochs: int, runs: int) -> dict[str, Any] | None:
    """Run one measurement in a fresh interpreter with one BLAS thread; None if unavailable."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.update({name: "1" for name in THREAD_VARIABLES})
    command = [sys.executable, __file__, "--worker", framework, workload, str(epochs), str(runs)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(
            f"  {framework} {workload}: unavailable ({done.stderr.strip().splitlines()[-1:]})",
            file=sys.stderr,
        )
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ms(seconds: float | None) -> str:
    """Format seconds as milliseconds, or a dash."""
    return "-" if seconds is None else f"{seconds * 1000:.2f}"


def _ratio(a: float | None, b: float | None) -> str:
    """Format a ratio a/b, or a dash."""
    return "-" if a is None or b is None else f"{a / b:.2f}x"


def main() -> None:
    """Run every workload under every framework and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs, for a smoke run")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        framework, workload, epochs, runs = args.worker
        print(json.dumps(RUNNERS[framework](workload, int(epochs), int(runs))))
        return

    peak = in_subprocess("peak", "-", 0, args.runs)
    rows, notes = [], []
    for workload, w in WORKLOADS.items():
        epochs = QUICK_EPOCHS[workload] if args.quick else w["epochs"]
        medians: dict[str, float | None] = {}
        results: dict[str, Any] = {}
        for framework in ("engine", "sklearn", "sklearn64", "torch"):
            results[framework] = found = in_subprocess(framework, workload, epochs, args.runs)
            medians[framework] = statistics.median(found["seconds"]) if found else None
        engine = results["engine"]
        share = "-"
        if engine and peak:
            rate = engine["flops"] / medians["engine"]
            share = f"{100 * rate / peak['flops_per_second']:.0f}%"
        rows.append(
            f"| {workload} | {_ms(medians['engine'])} | {_ms(medians['sklearn'])} | "
            f"{_ms(medians['sklearn64'])} | {_ms(medians['torch'])} | "
            f"{_ratio(medians['engine'], medians['sklearn'])} | "
            f"{_ratio(medians['engine'], medians['sklearn64'])} | "
            f"{_ratio(medians['engine'], medians['torch'])} | {share} |"
        )
        if engine and "peak_extra_bytes" in engine:
            notes.append(
                f"Peak extra memory during training on {workload}: "
                f"{engine['peak_extra_bytes'] / 2**20:.1f} MiB beyond the data."
            )
    if peak:
        notes.insert(
            0,
            f"float32 matmul peak (2048², one thread): "
            f"{peak['flops_per_second'] / 1e9:.1f} GFLOP/s.",
        )
    print(
        "| workload | engine ms/epoch | sklearn ms/epoch | sklearn float64 ms/epoch | "
        "PyTorch ms/epoch | engine/sklearn | engine/sklearn float64 | engine/torch | "
        "engine % of matmul peak |"
    )
    print("| --- " * 9 + "|")
    print("\n".join(rows))
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    main()
