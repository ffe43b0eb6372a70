"""The service's settings: where it listens, its token, its database and its limits.

Every setting has a flag of ``allocator serve`` and an ``ALLOCATOR_*`` environment variable;
a flag wins over the variable, the variable over the default. Standard library only, so that
the command line can build its parser without the server's extra installed.

=====================  ==============================  ==========================================
flag                   variable                        default
=====================  ==============================  ==========================================
``--host``             ``ALLOCATOR_HOST``              ``127.0.0.1``
``--port``             ``ALLOCATOR_PORT``              ``8000``
``--token-file``       ``ALLOCATOR_API_TOKEN``         none (the token itself in the variable)
``--db``               ``ALLOCATOR_DB``                ``allocator-jobs.sqlite3``
``--workers``          ``ALLOCATOR_WORKERS``           ``1`` (job worker processes)
``--max-body``         ``ALLOCATOR_MAX_BODY``          ``10MiB``
``--max-applications`` ``ALLOCATOR_MAX_APPLICATIONS``  ``20000`` per problem
``--sync-time-limit``  ``ALLOCATOR_SYNC_TIME_LIMIT``   ``30`` seconds per synchronous call
``--max-jobs``         ``ALLOCATOR_MAX_JOBS``          ``100`` queued and running jobs
``--job-ttl``          ``ALLOCATOR_JOB_TTL``           ``7d`` (finished jobs kept this long)
``--cors-origin``      ``ALLOCATOR_CORS_ORIGINS``      none (comma-separated in the variable)
``--dask-scheduler``   ``ALLOCATOR_DASK_SCHEDULER``    none (scenario jobs on a Dask cluster)
``--insecure``         ``ALLOCATOR_INSECURE``          off
=====================  ==============================  ==========================================

Examples
--------
>>> parse_size("10MiB"), parse_size("512k"), parse_size("1000")
(10485760, 524288, 1000)
>>> parse_duration("7d"), parse_duration("90m"), parse_duration("30")
(604800.0, 5400.0, 30.0)
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from allocator.exceptions import AllocatorError

__all__ = [
    "ServerConfigError",
    "Settings",
    "add_arguments",
    "from_args",
    "is_loopback",
    "parse_duration",
    "parse_size",
]

_SIZES = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1000,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1000**3,
    "gib": 1024**3,
}
_TIMES = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class ServerConfigError(AllocatorError):
    """A setting of the service that cannot work (an unsafe binding, a token file that cannot be read)."""


def parse_size(text: str) -> int:
    """Bytes from ``10MiB``, ``10M``, ``512k`` or a plain number."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", str(text))
    if not m or m.group(2).lower() not in _SIZES:
        raise ServerConfigError(f"size {text!r} is not understood; write it like 10MiB, 512k or 1048576")
    return int(float(m.group(1)) * _SIZES[m.group(2).lower()])


def parse_duration(text: str) -> float:
    """Seconds from ``30``, ``90m``, ``12h`` or ``7d``."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdSMHD]?)\s*", str(text))
    if not m:
        raise ServerConfigError(f"duration {text!r} is not understood; write it like 30 (seconds), 90m, 12h or 7d")
    return float(m.group(1)) * _TIMES[m.group(2).lower()]


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    """Everything the service is configured with (see the module documentation)."""

    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    db: Path = Path("allocator-jobs.sqlite3")
    workers: int = 1
    max_body: int = 10 * 1024**2
    max_applications: int = 20_000
    sync_time_limit: float = 30.0
    max_jobs: int = 100
    job_ttl: float = 7 * 86400.0
    cors_origins: tuple[str, ...] = ()
    dask_scheduler: str | None = None
    insecure: bool = False

    def check(self) -> None:
        """Refuse settings that cannot work or would be unsafe (ServerConfigError)."""
        if not is_loopback(self.host) and not self.token and not self.insecure:
            raise ServerConfigError(
                f"refusing to listen on {self.host!r} without a token: anyone who reaches it could use it; "
                "give --token-file FILE (or ALLOCATOR_API_TOKEN), listen on 127.0.0.1, or pass --insecure"
            )
        for name in ("workers", "max_body", "max_applications", "max_jobs"):
            if getattr(self, name) < 1:
                raise ServerConfigError(f"{name.replace('_', '-')} {getattr(self, name)} must be at least 1")
        if not self.sync_time_limit > 0 or not self.job_ttl > 0:
            raise ServerConfigError("sync-time-limit and job-ttl must be positive")
        if self.token is not None and len(self.token) < 16:
            raise ServerConfigError(
                "the token is shorter than 16 characters; use a long random one (python -c 'import secrets; print(secrets.token_urlsafe())')"
            )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``allocator serve`` to ``parser`` (all default to None: see :func:`from_args`)."""
    a = parser.add_argument
    a(
        "--host",
        help="address to listen on (default 127.0.0.1; anything else needs a token or --insecure)",
    )
    a("--port", type=int, help="port (default 8000)")
    a(
        "--token-file",
        metavar="FILE",
        help="file holding the bearer token every request but /health must send (or ALLOCATOR_API_TOKEN)",
    )
    a(
        "--db",
        metavar="PATH",
        help="SQLite file keeping jobs and results (default allocator-jobs.sqlite3)",
    )
    a("--workers", type=int, help="worker processes running jobs at once (default 1)")
    a("--max-body", metavar="SIZE", help="largest request body (default 10MiB)")
    a(
        "--max-applications",
        type=int,
        metavar="N",
        help="largest problem, in applications (default 20000)",
    )
    a(
        "--sync-time-limit",
        type=float,
        metavar="S",
        help="seconds a synchronous call may solve (default 30; longer work goes through jobs)",
    )
    a(
        "--max-jobs",
        type=int,
        metavar="N",
        help="queued and running jobs at most (default 100; more are refused with 429)",
    )
    a(
        "--job-ttl",
        metavar="DURATION",
        help="how long finished jobs are kept (default 7d)",
    )
    a(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="allow browsers on this origin (repeat; default none)",
    )
    a(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="run scenario jobs on this Dask cluster (tcp://host:8786)",
    )
    a(
        "--insecure",
        action="store_true",
        default=None,
        help="allow listening beyond loopback without a token",
    )


def _env(environ: Mapping[str, str], name: str) -> str | None:
    v = environ.get(f"ALLOCATOR_{name}")
    return v if v not in (None, "") else None


def _read_token(path: str) -> str:
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ServerConfigError(f"token file {path!r} could not be read ({exc}); give a readable text file") from None
    if not token:
        raise ServerConfigError(f"token file {path!r} is empty; write the token in it")
    return token


def from_args(args: argparse.Namespace | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from parsed flags (see :func:`add_arguments`), then ``ALLOCATOR_*`` variables, then defaults."""
    env = os.environ if environ is None else environ
    ns = args if args is not None else argparse.Namespace()

    def pick(flag: str, var: str, default: object) -> str:
        v = getattr(ns, flag, None)
        v = v if v is not None else _env(env, var)
        return str(default if v is None else v)

    d = Settings()
    token_file = getattr(ns, "token_file", None)
    token = _read_token(token_file) if token_file else _env(env, "API_TOKEN")
    origins = getattr(ns, "cors_origin", None) or [
        o.strip() for o in (_env(env, "CORS_ORIGINS") or "").split(",") if o.strip()
    ]
    insecure = pick("insecure", "INSECURE", False)
    try:
        settings = Settings(
            host=pick("host", "HOST", d.host),
            port=int(pick("port", "PORT", d.port)),
            token=token,
            db=Path(pick("db", "DB", d.db)),
            workers=int(pick("workers", "WORKERS", d.workers)),
            max_body=parse_size(pick("max_body", "MAX_BODY", d.max_body)),
            max_applications=int(pick("max_applications", "MAX_APPLICATIONS", d.max_applications)),
            sync_time_limit=float(pick("sync_time_limit", "SYNC_TIME_LIMIT", d.sync_time_limit)),
            max_jobs=int(pick("max_jobs", "MAX_JOBS", d.max_jobs)),
            job_ttl=parse_duration(pick("job_ttl", "JOB_TTL", d.job_ttl)),
            cors_origins=tuple(origins),
            dask_scheduler=pick("dask_scheduler", "DASK_SCHEDULER", "") or None,
            insecure=insecure.lower() in ("1", "true", "yes"),
        )
    except ValueError as exc:
        if isinstance(exc, AllocatorError):
            raise
        raise ServerConfigError(f"a setting is not a number: {exc}") from None
    settings.check()
    return settings
