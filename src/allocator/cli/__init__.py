"""The command line: ``allocator demo``, ``allocator solve`` and ``allocator serve`` (and
what else is registered in :data:`SUBCOMMANDS`).

Thin by design: parse the arguments, call the library, print. Every error a user can
cause ends as one line on standard error (``allocator: error: ...``) and a non-zero exit
code: 2 for a malformed command line, 1 for anything the library refuses
(:class:`~allocator.exceptions.AllocatorError`) or a file that cannot be read or written.
The library's messages name its keyword arguments; here they name the options instead
(:func:`allocator.cli.errors.for_cli`). An unexpected exception shows its traceback only
with ``--debug``.

With ``--out -`` the decisions go to standard output as JSON and nothing else does: the
human summary is written to standard error instead. ``--lang nb`` prints and writes
everything in Norwegian Bokmål.

To add a subcommand, write ``add_x(sub, common)`` (see :mod:`allocator.cli.commands`) in a
module of its own and append it to :data:`SUBCOMMANDS`; :mod:`allocator.cli.options` has the
shared options and the argument types (amounts, ``NAME=VALUE`` pairs).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

from allocator._version import __version__
from allocator.cli.commands import add_demo, add_solve
from allocator.cli.errors import Parser, UsageError, for_cli
from allocator.cli.format import format_decisions, format_explanations, format_summary
from allocator.cli.options import add_common
from allocator.cli.serve import add_serve
from allocator.exceptions import AllocatorError

__all__ = [
    "PROG",
    "SUBCOMMANDS",
    "build_parser",
    "format_decisions",
    "format_explanations",
    "format_summary",
    "main",
]

PROG = "allocator"


def add_robust(sub: Any, common: Any) -> None:
    """``allocator robust`` and ``allocator draw`` (:mod:`allocator.cli.robust`), reading the call as ``solve`` does."""
    from allocator.cli.commands import _load_problem, _load_with_policy
    from allocator.cli.robust import add_commands

    add_commands(sub, lambda args: _load_with_policy(args) if args.policy else _load_problem(args))


SUBCOMMANDS: list[Callable[[Any, Any], None]] = [add_demo, add_solve, add_serve, add_robust]
"""The subcommands, in the order of ``--help``: each ``add_x(sub, common)`` adds its parser."""


def build_parser() -> Parser:
    """The argument parser of the ``allocator`` command."""
    common = Parser(add_help=False)
    add_common(common)
    parser = Parser(
        prog=PROG,
        description="Decide how a public funding frame is best spent (an integer program over the applications).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for add in SUBCOMMANDS:
        add(sub, common)
    return parser


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run the command line; returns the exit code (0 ok, 1 refused or failed, 2 usage error).

    Parameters
    ----------
    argv
        The arguments (default ``sys.argv[1:]``).
    stdout, stderr
        Where to print (default the process's streams).
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    try:
        try:
            with contextlib.redirect_stdout(out):  # --help and --version print to ``stdout``
                args = build_parser().parse_args(args_list)
        except SystemExit as exc:
            return int(exc.code or 0)
        result: int = args.func(args, out, err)
        return result
    except UsageError as exc:
        print(f"{PROG}: error: {_one_line(str(exc))}", file=err)
        return 2
    except AllocatorError as exc:
        print(f"{PROG}: error: {_one_line(for_cli(str(exc)))}", file=err)
        return 1
    except BrokenPipeError:
        return 1
    except OSError as exc:
        where = f" '{exc.filename}'" if exc.filename else ""
        print(
            f"{PROG}: error: cannot use{where}: {_one_line(exc.strerror or str(exc))}",
            file=err,
        )
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=err)
        return 130
    except Exception as exc:
        if debug:
            raise
        print(
            f"{PROG}: error: unexpected {type(exc).__name__}: {_one_line(str(exc))} "
            "(run again with --debug for the traceback, and please report it)",
            file=err,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
