"""Start and stop Descent's processes for `make run` and `make test` (stdlib only)."""
