"""The HTTP service: ``allocator serve`` (install the extra: ``pip install 'allocator[server]'``).

The package itself imports neither FastAPI nor uvicorn: :mod:`allocator.server.app` does,
when the service is started. See :mod:`allocator.server.app` for the endpoints and
:mod:`allocator.server.settings` for the flags and ``ALLOCATOR_*`` variables.
"""

__all__: list[str] = []
