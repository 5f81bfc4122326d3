"""`make bench-load`: a class of builders submits runs while spectators watch; print the figures.

    python -m bench.load                  # 200 builders × 10 runs over 180 s, 500 spectators
    python -m bench.load --small          # 20 × 5 over 30 s, 50 spectators
    python -m bench.load --url http://host:8000 [--url ...]   # only the generator, against
                                          # servers already up (seed the challenge first:
                                          # python -m bench.load.seed)

Without --url it starts its own stack (bench.load.stack: the machine's PostgreSQL or SQLite,
an embedded Redis, two Uvicorn servers, a Celery worker per --worker-queues entry, beat) and
stops it afterwards, on failure and on Ctrl-C or SIGTERM too. Exit status 0 when nothing was
lost or duplicated and every board (API and spectators) matched the run records.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from bench.load.generator import LoadAborted, LoadConfig, run_load  # noqa: E402
from bench.load.report import markdown, print_report  # noqa: E402

FULL = {"users": 200, "runs": 10, "duration": 180.0, "spectators": 500}
SMALL = {"users": 20, "runs": 5, "duration": 30.0, "spectators": 50}


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the bench like Ctrl-C: through every `finally`


def _raise_open_files_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="20 × 5 runs, 50 spectators")
    parser.add_argument("--users", type=int)
    parser.add_argument("--runs", type=int, help="runs per user")
    parser.add_argument("--duration", type=float, help="seconds the submissions spread over")
    parser.add_argument("--spectators", type=int)
    parser.add_argument("--epochs", type=int, default=20, help="epochs of each tiny run")
    parser.add_argument("--url", action="append", default=[],
                        help="a server to load (repeatable); without it, start a stack")
    parser.add_argument("--slug", default="load-blobs")
    parser.add_argument("--servers", type=int, default=2, help="Uvicorn processes")
    parser.add_argument("--worker-queues", nargs="+",
                        default=["celery,short,long", "celery,short,long"], metavar="QUEUES",
                        help="one Celery worker per argument, each a comma-separated list of "
                             "the queues it consumes (default: two on every queue; one per "
                             "queue by size: `celery,short long`)")
    parser.add_argument("--worker-concurrency", type=int, default=1)
    parser.add_argument("--database", choices=("auto", "postgres", "sqlite"), default="auto")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--tail", type=float, default=120.0,
                        help="seconds to wait after the last run for spectators to catch up")
    parser.add_argument("--no-deflate", dest="deflate", action="store_false")
    parser.add_argument("--protocol", choices=("1", "2"), default="2",
                        help="the spectators' live protocol: 2 (partial updates, batched "
                             "progress, seq heartbeat) or 1 (CONTRACT §4 as first written)")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown here")
    args = parser.parse_args(argv)
    sizes = SMALL if args.small else FULL
    for name, value in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    _raise_open_files_limit()  # before any child: Uvicorn inherits it
    stack = None
    started = time.monotonic()
    try:
        urls = args.url
        if not urls:
            from bench.load.stack import LocalStack

            stack = LocalStack(
                servers=args.servers, worker_queues=[q.split(",") for q in args.worker_queues],
                worker_concurrency=args.worker_concurrency, database=args.database,
                slug=args.slug, daily_quota=args.runs, keep_database=args.keep_database)
            print(f"bench-load: starting {args.servers} Uvicorn, {len(args.worker_queues)} "
                  "workers, beat, Redis ...", flush=True)
            stack.start()
            urls = stack.urls
            print(f"bench-load: database {stack.database_kind}, servers {' '.join(urls)}; "
                  f"logs in {stack.logs}", flush=True)
        config = LoadConfig(urls=tuple(urls), slug=args.slug, users=args.users,
                            runs_per_user=args.runs, duration=args.duration,
                            spectators=args.spectators, epochs=args.epochs,
                            tail_timeout=args.tail, deflate=args.deflate,
                            protocol="2" if args.protocol == "2" else "")
        print(f"bench-load: {args.users} builders × {args.runs} runs over {args.duration:.0f} s, "
              f"{args.spectators} spectators", flush=True)
        report = asyncio.run(run_load(
            config, should_stop=stack.problem if stack else None,
            say=lambda line: print(f"bench-load: {line}", flush=True)))
    except LoadAborted as exc:
        print(f"bench-load: stopped: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench-load: interrupted", file=sys.stderr)
        return 130
    finally:
        if stack is not None:
            killed = stack.stop()
            if killed:
                print(f"bench-load: had to SIGKILL {', '.join(killed)}", file=sys.stderr)
            print("bench-load: stack stopped", flush=True)
    where = (f"{stack.database_kind}, {args.servers} Uvicorn, {len(args.worker_queues)} workers "
             f"× {args.worker_concurrency}" if stack else ", ".join(args.url))
    print_report(report, f"bench-load ({where}; {time.monotonic() - started:.0f} s)")
    if args.markdown:
        args.markdown.write_text(markdown(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
