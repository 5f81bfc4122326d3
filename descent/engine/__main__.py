"""The engine's command line: train a spec locally, check its gradients, list the data sets.

    python -m descent.engine train SPEC.json --dataset spirals [--seed N] [--history OUT.json]
                                             [--plot LOSS.png] [--float64]
    python -m descent.engine gradcheck SPEC.json [--inputs 2 --outputs 3]
    python -m descent.engine datasets

Exit codes: 0 done, 1 the run diverged or a gradient check failed, 2 bad input (spec, JSON,
data set or arguments; the message names the field), 130 interrupted. rich and matplotlib
are imported here only, so that the library itself stays numpy-only.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from descent.engine.datasets import DATASETS, Dataset, load_dataset
from descent.engine.spec import SpecError, parse_spec, validate_for_data

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# A relative error this small is float64 round-off; anything larger is a wrong derivative.
GRADCHECK_TOLERANCE = 1e-6
# The per-epoch table shows at most this many epochs, evenly spread, first and last included.
EPOCH_TABLE_ROWS = 20


class CommandError(Exception):
    """A problem with the user's input: print the lines, exit 2, no traceback."""

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


# --- input --------------------------------------------------------------------------------


def read_spec_document(path: Path) -> dict[str, Any]:
    """Read a JSON spec file and return the raw document (not yet validated)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise CommandError(f"error: cannot read spec file {path}: {reason}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"error: {path} is not valid JSON: {error.msg} at line "
                           f"{error.lineno}, column {error.colno}") from None
    return document


def spec_error_lines(path: Path, error: SpecError) -> list[str]:
    """Format a `SpecError` as one line per field: `  layers[2].units: message`."""
    lines = [f"error: {path} is not a valid spec:"]
    for field, messages in error.errors.items():
        lines.extend(f"  {field or 'spec'}: {message}" for message in messages)
    return lines


def load_spec(path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read, override and validate a spec file; raise `CommandError` naming each bad field."""
    document = read_spec_document(path)
    if isinstance(document, dict) and overrides:
        document = {**document, **overrides}
    try:
        return parse_spec(document)
    except SpecError as error:
        raise CommandError(*spec_error_lines(path, error)) from None


def parse_data_params(pairs: Sequence[str]) -> dict[str, Any]:
    """Turn `KEY=VALUE` strings into data set parameters, VALUE read as JSON (3, 0.1)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CommandError(f"error: invalid --data-param {pair!r}; use KEY=VALUE, "
                               "e.g. --data-param noise=0.1")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


def load_data(name: str, seed: int, params: dict[str, Any]) -> Dataset:
    """Load a data set; an unknown name or bad parameter becomes a `CommandError`."""
    try:
        return load_dataset(name, seed=seed, **params)
    except ValueError as error:
        raise CommandError(f"error: {error}") from None


# --- train --------------------------------------------------------------------------------


def _finite_or_none(value: Any) -> Any:
    """Map NaN/inf to None so that the history file is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_history(path: Path, spec: dict[str, Any], data: Dataset, result: Any) -> None:
    """Write the run's spec, data set, outcome and per-epoch history as JSON."""
    document = {
        "spec": spec,
        "dataset": {"name": data.name, "seed": data.seed, "params": dict(data.params)},
        "status": result.status,
        "message": result.message,
        "diagnoses": list(result.diagnoses),
        "history": [{key: _finite_or_none(value) for key, value in record.items()}
                    for record in result.history],
        "blew_up_at": result.blew_up_at,
    }
    path.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def plot_losses(path: Path, history: list[dict[str, Any]], title: str) -> None:
    """Draw the train and validation loss curves per epoch into a PNG file."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a worker or CI machine
    from matplotlib import pyplot as plt

    epochs = [record["epoch"] for record in history]
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=100)
    axes.plot(epochs, [record["train_loss"] for record in history], label="train loss")
    axes.plot(epochs, [record["val_loss"] for record in history], label="validation loss")
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss")
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _metric_name(record: dict[str, Any]) -> str | None:
    known = {"epoch", "train_loss", "val_loss", "learning_rate"}
    return next((key for key in record if key not in known), None)


def _format(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def table_epochs(n_epochs: int, rows: int = EPOCH_TABLE_ROWS) -> list[int]:
    """Pick the indices of the records to show: every k-th epoch, the first and the last.

    k is the smallest step that keeps the table near `rows` rows (at most `rows` + 2), so
    that the epochs shown are round numbers: 1, 10, 20, ... for 200 epochs.
    """
    if n_epochs <= rows:
        return list(range(n_epochs))
    step = -(-n_epochs // rows)
    return sorted({0, n_epochs - 1, *range(step - 1, n_epochs, step)})


def epoch_table(history: list[dict[str, Any]], title: str = "per-epoch history") -> Any:
    """Build a rich `Table` of the history: epoch, losses, the metric, the learning rate."""
    from rich.table import Table

    table = Table(title=title)
    metric = _metric_name(history[0]) if history else None
    columns = ["epoch", "train_loss", "val_loss", *([metric] if metric else []),
               "learning_rate"]
    for column in columns:
        table.add_column(column.replace("_", " "), justify="right")
    for index in table_epochs(len(history)):
        record = history[index]
        table.add_row(*(_format(record.get(column, "-")) for column in columns))
    return table


def command_train(args: argparse.Namespace) -> int:
    """Train a spec on a data set with a progress bar; print status, diagnoses and metrics."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from descent.engine.training import train

    overrides: dict[str, Any] = {}
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    if args.float64:
        overrides["dtype"] = "float64"
    spec = load_spec(args.spec, overrides)
    data = load_data(args.dataset, args.data_seed, parse_data_params(args.data_param))
    try:
        validate_for_data(spec, task=data.task, n_inputs=data.n_inputs,
                          n_outputs=data.n_outputs, n_classes=data.n_classes,
                          dataset_name=data.name)
    except SpecError as error:
        raise CommandError(*spec_error_lines(args.spec, error)) from None

    out = Console(soft_wrap=True)
    progress = Progress(
        TextColumn("[bold]epoch"),
        MofNCompleteColumn(),
        BarColumn(),
        TextColumn("train {task.fields[train_loss]}  val {task.fields[val_loss]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    bar = progress.add_task("train", total=spec["epochs"], train_loss="-", val_loss="-")

    def on_epoch(record: dict[str, Any]) -> bool:
        progress.update(bar, completed=record["epoch"],
                        train_loss=_format(record["train_loss"]),
                        val_loss=_format(record["val_loss"]))
        return True

    out.print(f"training on [bold]{data.name}[/] ({data.task}, {len(data.X_train)} train / "
              f"{len(data.X_val)} validation samples, {data.n_inputs} inputs)")
    try:
        with progress:
            result = train(spec, data, on_epoch=on_epoch)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED

    if result.history:
        shown = len(table_epochs(len(result.history)))
        out.print(epoch_table(result.history, f"{shown} of {len(result.history)} epochs"))
    out.print(f"status: [bold]{result.status}[/]")
    if result.message:
        out.print(result.message)
    for diagnosis in result.diagnoses:
        out.print(f"diagnosis [{diagnosis['code']}]: {diagnosis['message']}", markup=False)
    if result.history:
        last = result.history[-1]
        metric = _metric_name(last)
        out.print(f"epochs run: {last['epoch']}"
                  + (f" (stopped early; best epoch {result.best_epoch})"
                     if result.stopped_early else ""))
        out.print(f"final train loss: {_format(last['train_loss'])}")
        out.print(f"final validation loss: {_format(last['val_loss'])}")
        if metric is not None:
            out.print(f"validation {metric}: {_format(last[metric])}")
            if result.status == "succeeded":
                from descent.engine.metrics import score

                test = score(metric, result.model, data.X_test, data.y_test, data.task)
                out.print(f"test {metric}: {_format(float(test))}")
    if args.history is not None:
        write_history(args.history, spec, data, result)
        out.print(f"history written to {args.history}")
    if args.plot is not None:
        plot_losses(args.plot, result.history, f"{args.spec.name} on {data.name}")
        out.print(f"loss curves drawn in {args.plot}")
    return EXIT_OK if result.status == "succeeded" else EXIT_FAILED


# --- gradcheck ----------------------------------------------------------------------------


def command_gradcheck(args: argparse.Namespace) -> int:
    """Compare back-propagated gradients with central differences; exit 1 on a mismatch."""
    from rich.console import Console
    from rich.table import Table

    from descent.engine.gradcheck import check_gradients

    spec = load_spec(args.spec)
    n_outputs = args.outputs if args.outputs is not None else spec["layers"][-1]["units"]
    rows = check_gradients(spec, n_inputs=args.inputs, n_outputs=n_outputs,
                           n_samples=args.samples, seed=args.seed)
    table = Table(title=f"gradient check: {args.spec.name} ({args.inputs} inputs, "
                        f"{n_outputs} outputs, {args.samples} samples)")
    table.add_column("parameter")
    table.add_column("max abs error", justify="right")
    table.add_column("max rel error", justify="right")
    table.add_column("ok", justify="center")
    failed = False
    for row in rows:
        passed = row["max_rel_error"] < GRADCHECK_TOLERANCE
        failed = failed or not passed
        table.add_row(str(row["parameter"]), f"{row['max_abs_error']:.2e}",
                      f"{row['max_rel_error']:.2e}", "yes" if passed else "NO")
    console = Console()
    console.print(table)
    if failed:
        console.print(f"gradient check FAILED: a relative error is ≥ {GRADCHECK_TOLERANCE:g}")
        return EXIT_FAILED
    console.print(f"gradient check passed: every relative error < {GRADCHECK_TOLERANCE:g}")
    return EXIT_OK


# --- datasets -----------------------------------------------------------------------------


def command_datasets(args: argparse.Namespace) -> int:
    """List the data sets with their task, shapes, parameters and description."""
    from rich.console import Console

    console = Console(soft_wrap=True, highlight=False)
    console.print("datasets (python -m descent.engine train SPEC.json --dataset NAME):")
    for name, info in DATASETS.items():
        data = load_dataset(name)
        if data.n_classes is None:
            outputs = f"{data.n_outputs} target" + ("s" if data.n_outputs > 1 else "")
        else:
            outputs = f"{data.n_classes} classes"
        inputs = f"{data.n_inputs} input" + ("s" if data.n_inputs > 1 else "")
        params = ", ".join(f"{key}={value}" for key, value in info.params.items())
        console.print(f"\n[bold]{name}[/]  {data.task}: {inputs}, {outputs}; "
                      f"{len(data.X_train)}/{len(data.X_val)}/{len(data.X_test)} "
                      "train/val/test samples")
        console.print(f"    {info.description}", markup=False)
        console.print(f"    params: {params or 'none (--data-seed changes the split only)'}",
                      markup=False)
    return EXIT_OK


# --- entry --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Build the `python -m descent.engine` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m descent.engine",
        description="Descent's numpy engine: train a spec, check its gradients, list datasets.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train a spec on a dataset")
    train.add_argument("spec", type=Path, metavar="SPEC.json", help="the model spec (JSON)")
    train.add_argument("--dataset", required=True, metavar="NAME",
                       help=f"one of: {', '.join(DATASETS)}")
    train.add_argument("--seed", type=int, default=None, metavar="N",
                       help="override the spec's seed (initialisation, shuffling, dropout)")
    train.add_argument("--data-seed", type=int, default=0, metavar="N",
                       help="seed of the dataset's generator and split (default 0)")
    train.add_argument("--data-param", action="append", default=[], metavar="KEY=VALUE",
                       help="a dataset parameter, e.g. noise=0.1 (repeatable)")
    train.add_argument("--epochs", type=int, default=None, metavar="N",
                       help="override the spec's epochs")
    train.add_argument("--history", type=Path, default=None, metavar="OUT.json",
                       help="write the per-epoch history as JSON")
    train.add_argument("--plot", type=Path, default=None, metavar="LOSS.png",
                       help="draw the train and validation loss curves")
    train.add_argument("--float64", action="store_true",
                       help='train in float64 (sets the spec\'s "dtype")')
    train.set_defaults(handler=command_train)

    gradcheck = commands.add_parser("gradcheck",
                                    help="check back-propagation against finite differences")
    gradcheck.add_argument("spec", type=Path, metavar="SPEC.json")
    gradcheck.add_argument("--inputs", type=int, default=3, metavar="N",
                           help="input width of the random data (default 3)")
    gradcheck.add_argument("--outputs", type=int, default=None, metavar="N",
                           help="classes or targets (default: the last layer's units)")
    gradcheck.add_argument("--samples", type=int, default=8, metavar="N",
                           help="random samples (default 8)")
    gradcheck.add_argument("--seed", type=int, default=0, metavar="N")
    gradcheck.set_defaults(handler=command_gradcheck)

    datasets = commands.add_parser("datasets", help="list the datasets")
    datasets.set_defaults(handler=command_datasets)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except CommandError as error:
        for line in error.lines:
            print(line, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
