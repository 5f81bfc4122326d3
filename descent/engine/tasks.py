"""The three tasks a data set can pose, and the words that name them in messages.

Losses and metrics say which tasks they fit (`losses.LOSSES[name].tasks`,
`metrics.METRICS[name].tasks`); a data set has exactly one task.
"""

REGRESSION = "regression"
BINARY = "binary"
MULTICLASS = "multiclass"

TASKS = (REGRESSION, BINARY, MULTICLASS)


def describe_task(task: str, n_classes: int | None = None) -> str:
    """Return the task in words, e.g. "a multiclass task with 3 classes"."""
    if task == REGRESSION:
        return "a regression task"
    if task == BINARY:
        return "a binary classification task"
    return f"a multiclass task with {n_classes} classes" if n_classes else "a multiclass task"
