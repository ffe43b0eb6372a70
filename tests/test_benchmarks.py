"""The benchmark scripts stay runnable: every module imports (a benchmark that calls a
function the library no longer has fails here, not in the next long run), and the
OR-Library driver reaches the published optima of the small mknap1 problems (skipped
without ``../shared``)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("name", MODULES)
def test_every_benchmark_module_imports(name: str) -> None:
    pytest.importorskip("pulp")
    if name == "bench_service":
        pytest.importorskip("fastapi")
    importlib.import_module(f"benchmarks.{name}")


def test_orlib_driver_reaches_the_published_optima_of_mknap1() -> None:
    from benchmarks import orlib

    path = orlib.DATA / "mknap1.txt"
    if not path.is_file():
        pytest.skip("../shared/data/orlib is not beside the repository")
    known = orlib.best_known()
    for inst in orlib.read_file(path)[:5]:
        got = orlib.solve_instance(inst, time_limit=60)
        value, proven = known[("mknap1.txt", inst.index)]
        assert got["status"] == "optimal" and got["value"] == value, (inst.index, got, value, proven)
