"""What `descent` exits with, and the error that carries a message and an exit status."""

from __future__ import annotations

from typing import IO, Any

import click

EXIT_OK = 0
EXIT_FAILED = 1  # the run did not succeed, or a reproduction does not match
EXIT_USAGE = 2  # bad input: arguments, a spec file, a spec the server refused
EXIT_SERVER = 3  # cannot reach the server, or it answered with an error
EXIT_LIMIT = 4  # a quota or rate limit: try again later
EXIT_INTERRUPTED = 130


class CliError(click.ClickException):
    """A clear, one-screen failure: print `lines` on stderr and exit with `exit_code`."""

    def __init__(self, *lines: str, exit_code: int = EXIT_SERVER) -> None:
        super().__init__("\n".join(lines))
        self.exit_code = exit_code

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)
