"""`make bench`: run every benchmark in this folder and print its figures.

Each benchmark is a module here with a `main(argv) -> int`; `python -m bench NAME` runs one.
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "asgi": "bench.asgi_servers",
    "runs": "bench.runs",
    "live": "bench.live",
    "spec_validation": "bench.spec_validation",
    "instruments": "bench.instruments",
    "verification": "bench.verification",
    "instrumented_runs": "bench.instrumented_runs",
    "recovery": "bench.recovery",
    "pages": "bench.pages",
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {sorted(BENCHMARKS)}", file=sys.stderr)
        return 2
    code = 0
    for name in names:
        print(f"== {name} ==", flush=True)
        code |= importlib.import_module(BENCHMARKS[name]).main([])
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
