"""The `descent` commands: local training, and a terminal client of a Descent server.

    descent train SPEC.json --dataset NAME [--plot loss.png] [--seed N]
    descent datasets
    descent login URL [--username NAME] [--password-stdin] · descent logout [URL]
    descent challenges · descent leaderboard SLUG [--watch] [--verified]
    descent submit SPEC.json --challenge SLUG [--note TEXT] [--watch] [--race RUN_ID|leader]
    descent watch RUN_ID
    descent fork RUN_ID [-o spec.json] · descent diff RUN_A RUN_B
    descent reproduce RUN_ID [--rtol 1e-9]

Exit status (errors.py): 0 success; 1 the run did not succeed or does not reproduce; 2 bad
input (arguments, a spec file, a spec the server refused); 3 the server cannot be reached or
answered an error; 4 a quota or rate limit; 130 interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import click

from descent.cli import config, render
from descent.cli.client import ApiClient
from descent.cli.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SERVER,
    EXIT_USAGE,
    CliError,
)
from descent.cli.render import err, out
from descent.cli.reproduce import DEFAULT_ATOL, DEFAULT_RTOL, replay
from descent.cli.specs import read_spec_file, spec_changes, write_spec_file
from descent.cli.stream import FINAL_STATUSES, LeaderboardWatch, RunWatch, follow


def finish(code: int) -> None:
    """End the command with exit status `code` (0 returns normally)."""
    if code != EXIT_OK:
        raise click.exceptions.Exit(code)


def _version() -> str:
    try:
        return metadata.version("descent")
    except metadata.PackageNotFoundError:
        return "unknown"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), prog_name="descent")
def cli() -> None:
    """Descent from a terminal: train specs locally, submit them, watch them, reproduce them.

    Log in once (descent login http://127.0.0.1:8000); every other command then talks to
    that server, or to the one --server names.
    """


def server_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add `--server URL` (default: the server logged in to last)."""
    return click.option("--server", metavar="URL", envvar="DESCENT_SERVER",
                        help="the Descent server (default: the one you logged in to last; "
                             "or $DESCENT_SERVER)")(command)


def api(server: str | None) -> ApiClient:
    """Return a client of the chosen server, with its stored token if there is one."""
    url = config.current_server(server)
    login = config.login_for(url)
    return ApiClient(url, login.token if login else None)


def notice(text: str) -> None:
    err.print(f"[yellow]{text}[/]")


# --- local work ---------------------------------------------------------------------------


@cli.command()
@click.argument("spec", type=click.Path(path_type=Path), metavar="SPEC.json")
@click.option("--dataset", required=True, metavar="NAME",
              help="a dataset name (descent datasets lists them)")
@click.option("--seed", type=int, metavar="N", help="override the spec's seed")
@click.option("--data-seed", type=int, default=0, show_default=True, metavar="N",
              help="seed of the dataset's generator and split")
@click.option("--data-param", multiple=True, metavar="KEY=VALUE",
              help="a dataset parameter, e.g. noise=0.1 (repeatable)")
@click.option("--epochs", type=int, metavar="N", help="override the spec's epochs")
@click.option("--history", type=click.Path(path_type=Path), metavar="OUT.json",
              help="write the per-epoch history as JSON")
@click.option("--plot", type=click.Path(path_type=Path), metavar="LOSS.png",
              help="draw the train and validation loss curves")
@click.option("--float64", is_flag=True, help='train in float64 (sets the spec\'s "dtype")')
def train(spec: Path, dataset: str, seed: int | None, data_seed: int,
          data_param: tuple[str, ...], epochs: int | None, history: Path | None,
          plot: Path | None, float64: bool) -> None:
    """Train SPEC.json locally: progress bar, per-epoch table, diagnosis."""
    from descent.engine.__main__ import CommandError, command_train

    # The engine's own command does the work, so `python -m descent.engine train` and
    # `descent train` cannot drift apart.
    arguments = argparse.Namespace(spec=spec, dataset=dataset, seed=seed, data_seed=data_seed,
                                   data_param=list(data_param), epochs=epochs,
                                   history=history, plot=plot, float64=float64)
    try:
        finish(command_train(arguments))
    except CommandError as error:
        raise CliError(*(line.removeprefix("error: ") for line in error.lines),
                       exit_code=EXIT_USAGE) from None


@cli.command()
def datasets() -> None:
    """List the datasets `descent train --dataset` takes."""
    from descent.engine.__main__ import command_datasets

    finish(command_datasets(argparse.Namespace()))


# --- log-in -------------------------------------------------------------------------------


@cli.command()
@click.argument("url")
@click.option("--username", help="your Descent username (asked if not given)")
@click.option("--password-stdin", is_flag=True,
              help="read the password from the first line of standard input (for scripts)")
def login(url: str, username: str | None, password_stdin: bool) -> None:
    """Log in to the Descent server at URL and store its API token for later commands."""
    server = config.normalise_server(url)
    username = username or click.prompt("username")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CliError("--password-stdin: standard input has no password",
                           exit_code=EXIT_USAGE)
    else:
        password = click.prompt("password", hide_input=True)
    with ApiClient(server) as client:
        token = client.fetch_token(username, password)
    path = config.login_save(server=server, token=token, username=username)
    out.print(f"logged in to {server} as {username}; token stored in {path} "
              "(readable by you only)")


@cli.command()
@click.argument("url", required=False)
def logout(url: str | None) -> None:
    """Forget the token of URL (default: the current server)."""
    server = config.current_server(url)
    if config.login_forget(server=server):
        out.print(f"logged out of {server}: token removed from {config.credentials_path()}")
    else:
        out.print(f"not logged in to {server}; nothing to do")


# --- challenges and leaderboards ----------------------------------------------------------


@cli.command()
@server_option
def challenges(server: str | None) -> None:
    """List the server's challenges."""
    with api(server) as client:
        out.print(render.challenges_table(client.challenges()))


@cli.command()
@click.argument("slug")
@click.option("--watch", is_flag=True, help="stay connected and redraw it live (Ctrl-C stops)")
@click.option("--verified", is_flag=True,
              help="only the entries a second worker reproduced (their ranks stay)")
@server_option
def leaderboard(slug: str, watch: bool, verified: bool, server: str | None) -> None:
    """Show the leaderboard of challenge SLUG, once or live."""
    with api(server) as client:
        board = client.leaderboard(slug, verified=verified)
        token = client.api_token
        url = client.server
    if not watch:
        out.print(render.leaderboard_table(slug, board["entries"], board.get("ranked_by", ""),
                                           board.get("metric", ""), verified_only=verified))
        return
    from rich.live import Live

    metric = board.get("metric", "")

    def connected(connection: int) -> None:
        if connection == 1:  # later connections announce their snapshot (LeaderboardWatch)
            notice(f"watching {slug} live")

    state = LeaderboardWatch(slug=slug, entries=board["entries"],
                             ranked_by=board.get("ranked_by", ""))
    with Live(render.live_leaderboard(state, metric), console=out, auto_refresh=False) as live:
        state.on_change = lambda w: live.update(render.live_leaderboard(w, metric),
                                                refresh=True)
        state.notice = notice
        try:
            follow(url, f"/ws/challenges/{slug}/?protocol=2", state, token=token, notice=notice,
                   on_connect=connected)
        except KeyboardInterrupt:
            pass  # the last drawing stays on screen


# --- runs ---------------------------------------------------------------------------------


@cli.command()
@click.argument("spec", type=click.Path(path_type=Path), metavar="SPEC.json")
@click.option("--challenge", "slug", required=True, metavar="SLUG", help="the challenge")
@click.option("--note", default="", help="a note shown with the run")
@click.option("--forked-from", type=int, metavar="RUN_ID",
              help="the run this spec was forked from (its card counts the fork)")
@click.option("--watch", is_flag=True,
              help="stream the run until it ends; then print its status, score and rank")
@click.option("--race", metavar="RUN_ID|leader",
              help="race a finished run of the challenge (or its leader): its recorded losses "
                   "replay beside yours, epoch by epoch, with the gap")
@server_option
def submit(spec: Path, slug: str, note: str, forked_from: int | None, watch: bool,
           race: str | None, server: str | None) -> None:
    """Submit SPEC.json to challenge SLUG (and with --watch, follow it to the end)."""
    document = read_spec_file(spec)
    with api(server) as client:
        ghost = race_target(client, slug, race) if race else None
        run = client.submit(slug, document, note=note, forked_from=forked_from,
                            ghost_run=ghost)
        quota = run.get("quota") or {}
        left = f"; {quota['left']} of {quota['limit']} runs left today" if quota else ""
        out.print(f"submitted run #{run['id']} to {slug} ({run['status']}): "
                  f"{client.server}{run.get('url', '')}{left}")
        if ghost is not None:
            out.print(f"racing run #{ghost}: its recorded losses replay beside yours, epoch by "
                      "epoch (Δ = your validation loss − the ghost's; negative is ahead)")
        if watch:
            finish(watch_run(client, run["id"]))


def race_target(client: ApiClient, slug: str, race: str) -> int:
    """Resolve `--race`: a run id, or `leader` (rank 1 of the challenge's leaderboard now)."""
    if race.lstrip("#").isdigit():
        return int(race.lstrip("#"))
    if race.lower() != "leader":
        raise CliError(f"--race {race}: give a run id or 'leader'", exit_code=EXIT_USAGE)
    entries = client.leaderboard(slug).get("entries") or []
    if not entries:
        raise CliError(f"--race leader: challenge {slug} has no ranked run to race yet",
                       exit_code=EXIT_USAGE)
    leader = entries[0]
    out.print(f"the leader of {slug} is {leader['user']}'s run #{leader['run']}")
    return int(leader["run"])


@cli.command()
@click.argument("run_id", type=int)
@server_option
def watch(run_id: int, server: str | None) -> None:
    """Follow run RUN_ID live until it ends; print its status, score and rank."""
    with api(server) as client:
        finish(watch_run(client, run_id))


def watch_run(client: ApiClient, run_id: int) -> int:
    """Stream a run over /ws/runs/<id>/ through drops, then report how it ended."""
    first = client.run(run_id)
    state = RunWatch(run_id=run_id, status=first["status"], epoch=first.get("epochs_done") or 0,
                     epochs=first.get("epochs"))
    if not state.finished:
        progress = render.RunProgress(f"run #{run_id}", state.epochs)
        state.on_change = progress.show
        try:
            with progress:
                progress.show(state)
                follow(client.server, f"/ws/runs/{run_id}/", state, token=client.api_token,
                       notice=notice, on_connect=lambda n: err.print(
                           f"following run #{run_id} live" if n == 1 else
                           "reconnected: resyncing from a fresh snapshot"))
        except KeyboardInterrupt:
            err.print(f"stopped watching; run #{run_id} goes on on the server "
                      f"(descent watch {run_id})")
            return EXIT_INTERRUPTED
    return report_run(client, run_id)


def report_run(client: ApiClient, run_id: int) -> int:
    """Print a finished run's status, score, diagnoses and rank (from the API)."""
    run = client.run(run_id)
    status = run["status"]
    if status not in FINAL_STATUSES:
        raise CliError(f"run #{run_id} is still {status}", exit_code=EXIT_SERVER)
    epochs = f"{run.get('epochs_done')}/{run.get('epochs')} epochs"
    score = (f": {run.get('metric')} {render.number(run.get('score'))} (validation)"
             if run.get("score") is not None else "")
    out.print(f"run #{run_id} {status}{score}, {epochs}, final train loss "
              f"{render.number(run.get('train_loss'))}, val loss "
              f"{render.number(run.get('val_loss'))}")
    if run.get("error"):
        out.print(run["error"], markup=False)
    for diagnosis in run.get("diagnoses") or []:
        out.print(f"diagnosis [{diagnosis.get('code')}]: {diagnosis.get('message')}",
                  markup=False)
    if run.get("ghost"):
        out.print(render.race_result(run), markup=False)
    if status == "succeeded":
        board = client.leaderboard(run["challenge"])
        entries = board.get("entries", [])
        mine = next((e for e in entries if e.get("run") == run_id), None)
        if mine is not None:
            out.print(f"rank #{mine['rank']} of {len(entries)} on {run['challenge']} "
                      f"(by {board.get('ranked_by')})")
        elif not run.get("ranked", True):
            out.print("unranked run (not on the leaderboard)")
        else:
            best = next((e for e in entries if e.get("user") == run.get("user")), None)
            out.print("not on the leaderboard" + (
                f": {run.get('user')}'s best is run #{best['run']} at rank #{best['rank']}"
                if best else ""))
    return EXIT_OK if status == "succeeded" else EXIT_FAILED


# --- specs of runs ------------------------------------------------------------------------


def visible_spec(client: ApiClient, run_id: int) -> dict[str, Any]:
    """Return a run, refusing clearly when its spec is not visible to this user."""
    run = client.run(run_id)
    if run.get("spec") is None:
        raise CliError(f"run #{run_id}'s spec is not visible to you: its owner has not "
                       "shared it and the challenge has not closed", exit_code=EXIT_SERVER)
    return run


@cli.command()
@click.argument("run_id", type=int)
@click.option("-o", "--output", type=click.Path(path_type=Path), metavar="PATH",
              help="write the spec there (default: print it)")
@server_option
def fork(run_id: int, output: Path | None, server: str | None) -> None:
    """Take run RUN_ID's spec, to edit and submit as your own."""
    import json

    with api(server) as client:
        run = visible_spec(client, run_id)
    if output is None:
        click.echo(json.dumps(run["spec"], indent=2))
        return
    write_spec_file(output, run["spec"])
    out.print(f"wrote run #{run_id}'s spec ({run['challenge']}, by {run['user']}) to {output}; "
              f"submit it with: descent submit {output} --challenge {run['challenge']} "
              f"--forked-from {run_id}")


@cli.command()
@click.argument("run_a", metavar="RUN_A")
@click.argument("run_b", metavar="RUN_B")
@server_option
def diff(run_a: str, run_b: str, server: str | None) -> None:
    """Show how two specs differ, key by key. Each side is a run id or a spec file."""
    sides: list[tuple[str, Any]] = []
    client: ApiClient | None = None
    try:
        for side in (run_a, run_b):
            if side.lstrip("#").isdigit():
                client = client or api(server)
                run = visible_spec(client, int(side.lstrip("#")))
                sides.append((f"run #{run['id']} ({run['user']})", run["spec"]))
            else:
                sides.append((side, read_spec_file(Path(side))))
    finally:
        if client is not None:
            client.close()
    (left, a), (right, b) = sides
    changes = spec_changes(a, b)
    if not changes:
        out.print(f"{left} and {right} have the same spec")
        return
    out.print(render.spec_diff_table(changes, left, right))


# --- reproduce ----------------------------------------------------------------------------


@cli.command()
@click.argument("run_id", type=int)
@click.option("--rtol", type=float, default=DEFAULT_RTOL, show_default=True,
              help="relative tolerance for a match across machines")
@click.option("--atol", type=float, default=DEFAULT_ATOL, show_default=True,
              help="absolute tolerance (for values near zero)")
@server_option
def reproduce(run_id: int, rtol: float, atol: float, server: str | None) -> None:
    """Re-train run RUN_ID locally and check its history, bit for bit or within tolerance."""
    with api(server) as client:
        run = visible_spec(client, run_id)
        if run["status"] not in FINAL_STATUSES:
            raise CliError(f"run #{run_id} is still {run['status']}; reproduce it once it "
                           "has finished", exit_code=EXIT_USAGE)
        challenge = client.challenge(run["challenge"])
    finish(replay(run, challenge, rtol=rtol, atol=atol))


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Run `descent` and exit with its status (130 on Ctrl-C, no traceback on errors)."""
    # SIGTERM stops a watch the way Ctrl-C does: the last drawing stays, the exit is clean.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        code = cli.main(args=argv, prog_name="descent", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else EXIT_OK)

