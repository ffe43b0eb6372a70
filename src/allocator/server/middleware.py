"""Two guards in front of every endpoint, as plain ASGI middleware: the token and the body limit.

:class:`TokenGuard` answers 401 unless the request carries ``Authorization: Bearer <token>``
(compared in constant time); ``/health`` and the advisers' page shell (``/`` and
``/static/...``, which hold no data: the page asks for the token and sends it with every
call) are open.

:class:`BodyLimit` answers 413 as soon as a body is known to exceed the limit: at once when
``Content-Length`` says so, else while it is read, when the bytes received pass the limit.
Either way the body is never held whole in memory.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from allocator.server.errors import PROBLEM_JSON, ApiError, problem_response_body

__all__ = ["OPEN_PATHS", "BodyLimit", "BodyTooLarge", "TokenGuard"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = ("/health", "/", "/favicon.ico")
"""Paths answered without a token (with ``/static/`` below them)."""


class BodyTooLarge(Exception):
    """Raised from ``receive`` when the body passes the limit."""


async def _send_error(send: Send, err: ApiError, path: str) -> None:
    body = problem_response_body(err, path)
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in err.headers.items()]
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class TokenGuard:
    """401 for requests without the right bearer token (``token`` None: everything is open)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode("utf-8") if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path in OPEN_PATHS or path.startswith("/static/") or scope.get("method") == "OPTIONS":
            await self.app(scope, receive, send)
            return
        given = b""
        for k, v in scope.get("headers", []):
            if k == b"authorization":
                given = v
                break
        scheme, _, credential = given.partition(b" ")
        if scheme.lower() != b"bearer" or not hmac.compare_digest(credential.strip(), self.token):
            what = "has no bearer token" if not given else "has a wrong token"
            err = ApiError(
                401,
                f"the request {what}; send the header 'Authorization: Bearer <token>'",
                kind="unauthorized",
                headers={"WWW-Authenticate": 'Bearer realm="allocator"'},
            )
            await _send_error(send, err, path)
            return
        await self.app(scope, receive, send)


class BodyLimit:
    """413 for bodies over ``limit`` bytes, refused before they are read whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _error(self) -> ApiError:
        mib = self.limit / 1024**2
        return ApiError(
            413,
            f"the request body is larger than this service takes ({mib:g} MiB); send a smaller problem, "
            "or ask the operator to raise --max-body",
            kind="body-too-large",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    declared = int(v)
                except ValueError:
                    await _send_error(
                        send,
                        ApiError(
                            400,
                            "Content-Length is not a number",
                            kind="malformed-request",
                        ),
                        path,
                    )
                    return
                if declared > self.limit:
                    await _send_error(send, self._error(), path)
                    return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if not started:
                await _send_error(send, self._error(), path)
