"""What every command shares: one-line failures, output that tolerates `| head`, help that always works."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from invoke import Exit

HELP_FLAGS = ("-h", "--help")


def emit(text: str) -> None:
    """Write long output; a reader that stops early (`| head`) ends us quietly, as with any tool."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(141) from None  # 128 + SIGPIPE, what a shell reports for a closed pipe


@contextmanager
def exits_on(*errors: type[BaseException]) -> Iterator[None]:
    """Turn the expected errors of a library call into invoke's one-line, non-zero exit."""
    try:
        yield
    except errors as error:
        raise Exit(str(error), code=2) from None


def help_even_for_positionals(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`invoke <name> --help` prints the help even when the task takes a positional argument.

    invoke's parser gives the next word to a missing positional argument before it looks for
    flags, so `invoke k8s.render --help` would render an overlay called '--help'. When a
    positional value is a help flag, ask invoke itself for the task's help instead.
    """

    def wrap(body: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(body)
        def run(c: Any, *args: Any, **kwargs: Any) -> Any:
            if any(value in HELP_FLAGS for value in (*args, *kwargs.values())):
                from invoke.main import program  # the program running us: same collection, same output

                program.run(["invoke", "--help", name], exit=True)
            return body(c, *args, **kwargs)

        return run

    return wrap
