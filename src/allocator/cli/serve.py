"""``allocator serve``: the HTTP service and the advisers' page (the server extra)."""

from __future__ import annotations

import argparse
from typing import IO, Any

__all__ = ["add_serve"]


def add_serve(sub: Any, common: argparse.ArgumentParser) -> None:
    """``allocator serve`` (its own flags: the service's settings, not the solve options)."""
    from allocator.server.settings import add_arguments as serve_arguments  # standard library only

    serve = sub.add_parser(
        "serve",
        help="run the HTTP service and the advisers' page (needs: pip install 'allocator[server]')",
        description="Serve the HTTP API (/docs), jobs kept in SQLite, and the advisers' page at /. "
        "Every flag also has an ALLOCATOR_* environment variable (ALLOCATOR_API_TOKEN for the token).",
    )
    serve_arguments(serve)
    serve.add_argument("--debug", action="store_true", help="show a traceback on unexpected errors")
    serve.set_defaults(func=_cmd_serve)


def _cmd_serve(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    from allocator.server.main import serve

    return serve(args, stderr=stderr)
