"""``allocator serve``: run the service with uvicorn.

:func:`serve` checks the settings (no binding beyond loopback without a token unless
``--insecure``), then runs uvicorn on :func:`allocator.server.app.create_app`. Without the
server's extra installed it says how to install it.
"""

from __future__ import annotations

import argparse
import sys
from typing import IO

from allocator.server.settings import ServerConfigError, Settings, from_args

__all__ = ["serve"]


def serve(args: argparse.Namespace | Settings | None = None, *, stderr: IO[str] | None = None) -> int:
    """Run the service until interrupted; returns the exit code.

    ``args``: the parsed flags of ``allocator serve`` (environment variables fill the rest),
    or ready :class:`Settings`.
    """
    settings = args if isinstance(args, Settings) else from_args(args)
    settings.check()
    try:
        import uvicorn

        from allocator.server.app import create_app
    except ImportError as exc:
        raise ServerConfigError(
            f"the service needs the server extra ({exc.name} is not installed): pip install 'allocator[server]'"
        ) from None
    err = stderr if stderr is not None else sys.stderr
    where = f"http://{settings.host if ':' not in settings.host else f'[{settings.host}]'}:{settings.port}"
    token = (
        "a bearer token"
        if settings.token
        else "no token (loopback only)"
        if not settings.insecure
        else "NO TOKEN (--insecure)"
    )
    print(
        f"allocator: serving on {where} with {token}; jobs in {settings.db}; page at {where}/, API at {where}/docs",
        file=err,
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_graceful_shutdown=5,
        server_header=False,
    )
    return 0
