"""Print a load run's figures: a rich table on the terminal, or Markdown for the docs."""

from __future__ import annotations

import math

from bench.load.generator import LoadReport


def _ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:,.0f} ms"


def _s(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds:,.1f} s"


def _pair(p50: float, p99: float, unit=_ms) -> str:
    return f"{unit(p50)} / {unit(p99)}"


def _ids(runs: list[int]) -> str:
    shown = ", ".join(str(run) for run in runs[:8])
    return f"{len(runs)}" + (f" ({shown}{', ...' if len(runs) > 8 else ''})" if runs else "")


def rows(report: LoadReport) -> list[tuple[str, str, str, str]]:
    """(section, figure, value, goal) for every figure of the run."""
    config, spectators = report.config, report.spectators
    out: list[tuple[str, str, str, str]] = []

    def add(section: str, figure: str, value: str, goal: str = "") -> None:
        out.append((section, figure, value, goal))

    add("load", "builders × runs, over", f"{config.users} × {config.runs_per_user}, "
        f"{config.duration:.0f} s; {config.epochs} epochs each")
    add("load", "spectators, servers", f"{config.spectators}, {report.servers}")
    add("runs", "submitted / accepted", f"{report.submissions} / {report.accepted}",
        "all accepted")
    add("runs", "accepted after a lost response (found by note)", str(report.recovered))
    add("runs", "retried requests / throttled / rejected",
        f"{report.retried_requests} / {report.throttled} / {report.rejected}")
    if report.first_rejection:
        add("runs", "first rejection", report.first_rejection[:120])
    add("runs", "never accepted", str(report.never_accepted), "0")
    add("runs", "completed", f"{report.completed} "
        f"({', '.join(f'{k} {v}' for k, v in sorted(report.statuses.items()))})")
    add("runs", "lost (accepted, never final)", _ids(report.lost), "0")
    add("runs", "duplicated (two finals / two entries)", _ids(report.duplicated), "0")
    add("runs", "runs nobody got a 201 for", _ids(report.unacknowledged))
    add("runs", "taken over after a lost worker (attempt > 1)", str(report.taken_over))
    add("runs", "finished per worker host",
        ", ".join(f"{k} {v}" for k, v in sorted(report.worker_hosts.items())) or "-")
    add("runs", "submit → finished p50 / p99",
        _pair(report.submit_to_finished_p50, report.submit_to_finished_p99, _s))
    add("runs", "submission POST p50 / p99", _pair(report.submit_http_p50,
                                                    report.submit_http_p99))
    add("board", "entries; API = recomputed from run records",
        f"{report.board_entries}; {'yes' if report.api_matches else 'NO: ' + report.api_mismatch}",
        "yes")
    if spectators is not None:
        add("board", "spectators holding the final board",
            f"{spectators.holding_final} / {spectators.spectators} "
            f"({spectators.holding_final_reconnected} of them after reconnecting)", "all")
        add("board", "held it after the last run's end, p50 / max",
            _pair(spectators.held_final_p50, spectators.held_final_max, _s), "≤ 2 s")
        add("board", "waited for stragglers", _s(spectators.tail_waited),
            f"≤ {config.tail_timeout:.0f} s")
        connect = report.connect
        if connect is not None:
            add("live", "connected at start", f"{connect.connected} / {connect.spectators} in "
                f"{connect.seconds:.1f} s")
        add("live", "epoch end → spectator p50 / p99 / max",
            f"{_pair(spectators.progress_p50_ms / 1000, spectators.progress_p99_ms / 1000)}"
            f" / {_ms(spectators.progress_max_ms / 1000)}", "p99 ≤ 1 s")
        add("live", "run progress received (items; runs.progress batches)",
            f"{spectators.progress:,}; {spectators.progress_batches:,}")
        if spectators.top:
            add("board", "rows each spectator is sent (protocol 2: the top)", str(spectators.top))
        add("live", "seq gaps (events / seq numbers skipped)",
            f"{spectators.gaps:,} / {spectators.skipped:,}", "0")
        add("live", "of them: seq heartbeat ahead / partial update did not fit",
            f"{spectators.heartbeat_resyncs:,} / {spectators.bad_deltas:,}", "0 / 0")
        add("live", "reconnects (spectators that reconnected)",
            f"{spectators.reconnects:,} ({spectators.spectators_reconnected})")
        add("live", "sockets closed or lost by the server side",
            f"{spectators.reconnects_after_close:,}")
        add("live", "resyncs; p50 / p99", f"{spectators.resyncs:,}; "
            f"{_pair(spectators.resync_p50, spectators.resync_p99, _s)}", "snapshot ≤ 1 s")
        add("live", "resyncs timed out (10 s) / never finished",
            f"{spectators.resync_timeouts:,} / {spectators.resyncs_unfinished:,}")
        add("live", "connect → snapshot p50 / p99",
            _pair(spectators.snapshot_wait_p50, spectators.snapshot_wait_p99, _s))
        add("live", "JSON received by spectators", f"{spectators.bytes_received / 2**20:,.1f} MiB "
            f"in {spectators.messages:,} messages")
        closes = ", ".join(f"{code} ×{count}" for code, count in sorted(spectators.closes.items()))
        add("live", "socket closes by code", closes or "-")
        if spectators.errors:
            add("live", "spectator errors (first)", "; ".join(spectators.errors)[:160])
    add("http", "challenge page p50 / p99 during the burst",
        f"{_pair(report.page_p50, report.page_p99)} ({report.page_samples} samples)")
    add("http", "leaderboard API p50 / p99 during the burst",
        f"{_pair(report.leaderboard_p50, report.leaderboard_p99)} "
        f"({report.leaderboard_samples} samples)")
    add("http", "probe errors", str(report.probe_errors))
    add("http", "/api/version/ req/s; leaderboard API req/s",
        f"{report.version_rps:,.0f}; {report.leaderboard_rps:,.0f}")
    add("http", "leaderboard API ÷ trivial JSON view", f"{report.leaderboard_ratio:.2f}×",
        "≥ 0.5×")
    add("time", "sign-up; burst; drain", f"{_s(report.signup_seconds)}; "
        f"{_s(report.burst_seconds)}; {_s(report.drain_seconds)}")
    add("time", "last run ended after the burst began", _s(report.last_run_end_after_start))
    for name, at, note in report.events:
        add("time", f"event: {name}", f"at {at:.1f} s: {note}"[:160])
    client = f"HTTP {report.client_cpu_percent:.0f} % CPU, loop lag p99 " \
             f"{report.client_loop_lag_p99_ms:.0f} ms"
    if spectators is not None:
        client += f"; spectators {spectators.cpu_percent:.0f} % CPU, lag p99 " \
                  f"{spectators.loop_lag_p99_ms:.0f} ms"
    add("time", "load client", client)
    return out


def print_report(report: LoadReport, title: str) -> None:
    """Print the figures as a rich table."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for column in ("", "figure", "value", "goal"):
        table.add_column(column)
    previous = None
    for section, figure, value, goal in rows(report):
        table.add_row(section if section != previous else "", figure, value, goal)
        previous = section
    Console(width=160).print(table)
    verdict = "OK" if report.ok else "NOT OK"
    print(f"{verdict}: lost {len(report.lost)}, duplicated {len(report.duplicated)}, board "
          f"{'right' if report.api_matches else 'WRONG'} in the API, held by "
          f"{report.spectators.holding_final if report.spectators else 0} of "
          f"{report.config.spectators} spectators", flush=True)


def markdown(report: LoadReport) -> str:
    """The same figures as a Markdown table (for docs/performance.md)."""
    lines = ["| | figure | value | goal |", "| --- | --- | --- | --- |"]
    previous = None
    for section, figure, value, goal in rows(report):
        lines.append(f"| {section if section != previous else ''} | {figure} | "
                     f"{value.replace('|', '/')} | {goal} |")
        previous = section
    return "\n".join(lines) + "\n"
