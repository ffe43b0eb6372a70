"""Shared by every doctest the suite runs (``--doctest-modules`` over the installed ``allocator``).

Docstring examples import what they use, so that a reader can paste them; this fixture only
gives them a clean working directory and the usual short names (``np``, ``pd``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(autouse=True)
def _doctests(request: pytest.FixtureRequest) -> None:
    if not isinstance(request.node, pytest.DoctestItem):
        return
    request.getfixturevalue("monkeypatch").chdir(request.getfixturevalue("tmp_path"))  # files an example writes land here
    request.getfixturevalue("doctest_namespace").update(np=np, pd=pd)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Optional parts of the package are doctested only where their extra is installed."""
    parts = collection_path.parts
    if "allocator" in parts and "server" in parts:
        try:
            import fastapi  # noqa: F401
        except ImportError:
            return True
    return None
