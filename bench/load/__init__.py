"""The load bench (`make bench-load`): a class submits runs while spectators watch.

`generator` drives servers over HTTP and WebSocket, `spectators` is the watchers' process,
`tally` the bookkeeping (pure, unit-tested), `report` the table, `stack` the local processes,
`seed` the bench's challenge. `bench.cluster` runs the same generator across network
namespaces.
"""
