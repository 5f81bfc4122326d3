"""A bounded record of a run's weights, thinned evenly, for drawing its path on the terrain.

Snapshots are kept at epochs 0 (the initial weights), s, 2s, 3s, ... with stride s = 1 at
first; whenever the buffer is full every other snapshot is dropped and s doubles, so a run of
any length keeps between limit/2 and limit evenly spaced snapshots, plus its last epoch. A run
that blows up ends on the weights that made the loss overflow, if they are still finite, so
its path shows it leaving the valley. Memory is `limit × n_parameters` numbers of the model's
dtype, allocated once.
"""

import numpy as np

DEFAULT_LIMIT = 128


class Trajectory:
    """The weights of a run at evenly spaced epochs.

    Shape:
        - `params`: (m, n_parameters), m ≤ limit; row r is the flat parameter vector (the
          model's layout) after epoch `epochs[r]` (epoch 0: before training).
    """

    def __init__(self, limit: int, size: int, dtype: np.dtype) -> None:
        if not (isinstance(limit, int) and limit >= 3):
            raise ValueError(f"Invalid trajectory limit: {limit!r}; use an int ≥ 3, e.g. 128")
        self.limit = limit
        self.stride = 1
        self._buffer = np.empty((limit, size), dtype)
        self._epochs: list[int] = []
        # The latest epoch seen, kept apart so the run's last finite weights are never lost.
        self._latest = np.empty(size, dtype)
        self._latest_epoch: int | None = None

    def add(self, epoch: int, params: np.ndarray) -> None:
        """Record the parameters after `epoch`; keep them if the epoch falls on the stride."""
        np.copyto(self._latest, params)
        self._latest_epoch = epoch
        if epoch % self.stride:
            return
        # One row stays free for the last epoch (`finish`).
        if len(self._epochs) == self.limit - 1:
            kept = self._epochs[::2]
            self._buffer[: len(kept)] = self._buffer[: len(self._epochs) : 2]
            self._epochs = kept
            self.stride *= 2
            if epoch % self.stride:
                return
        self._buffer[len(self._epochs)] = params
        self._epochs.append(epoch)

    def add_last(self, epoch: int, params: np.ndarray) -> None:
        """Record weights that end the run off the stride (a blow-up's last finite weights)."""
        np.copyto(self._latest, params)
        self._latest_epoch = epoch

    def finish(self) -> None:
        """Append the latest epoch seen if the stride skipped it."""
        if self._latest_epoch is not None and (
            not self._epochs or self._epochs[-1] != self._latest_epoch
        ):
            self._buffer[len(self._epochs)] = self._latest
            self._epochs.append(self._latest_epoch)

    @property
    def epochs(self) -> list[int]:
        """Return the epoch of each kept snapshot, ascending."""
        return list(self._epochs)

    @property
    def params(self) -> np.ndarray:
        """Return the kept snapshots, (m, n_parameters), a view of the buffer."""
        return self._buffer[: len(self._epochs)]
