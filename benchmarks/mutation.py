"""Mutation score per module: ``python -m benchmarks.mutation --module src/allocator/formulation.py``.

Runs mutmut 3 (``pip install 'mutmut>=3.8'``; not part of CI: it takes minutes to hours)
on a scratch copy of the repository, so the working tree is never touched, and prints for
each module the number of mutants killed, surviving and not reached by any test, the score
(killed / all, with the mutants documented as equivalent left out), and every surviving
mutant as a diff. Options:

``--module PATH``
    A module to mutate (repeatable), e.g. ``src/allocator/model/scoring.py``; any module path of
    the package works (the modules that decide: ``optimize/formulation.py``, ``model/ids.py``,
    ``model/scoring.py``, ``optimize/tiebreak.py``, ``analysis/explain.py``, ``rules/rows.py``, ``analysis/baseline.py``, ``model/cells.py``,
    ``model/table.py``, ``rules/check.py``, ``model/selectors.py``, ``optimize/knapsack.py``, ``model/ledger.py``,
    ``model/levels.py``, ``optimize/diagnose.py``).
``--tests PATH``
    The tests to run against the mutants (repeatable; pytest node ids or files). Default: the
    tests listed for the module in :data:`TESTS` (the ones about it), else all of ``tests/``.
``--ref REV``
    Mutate and test the repository as committed at ``REV`` (``git archive``) instead of the
    working tree: ``--ref main`` gives the score before a change.
``--jobs N``
    Mutants tested at once (default 1; the machine is shared). Runs under ``nice``.
``--examples N``
    Random examples per unit of ``examples(k)`` in the tests (default 10, a quarter of the
    ``dev`` profile, so that a mutant's tests take seconds), drawn deterministically
    (``derandomize``, no example database): the same tests give the same score. The
    profile is added to the scratch copy's ``tests/conftest.py`` only.

Mutants listed in ``benchmarks/mutation_equivalent.txt`` (one per line: the mutated
function, ``|``, the changed line as mutmut shows it after ``+``, ``|``, why it cannot
change behaviour) are reported apart and left out of the score. The scratch copies are kept
under ``--workdir`` (default ``$TMPDIR/allocator-mutation``) so that a second run reuses
mutmut's results for the mutants whose code did not change.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "benchmarks" / "mutation_equivalent.txt"

_FORMULATION = [
    "tests/optimize/test_formulation.py",
    "tests/model/test_problem.py",
    "tests/model/test_ids.py",
    "tests/optimize/test_solve.py",
    "tests/optimize/test_solve_brute.py",
    "tests/rules/test_rows_brute.py",
]
_SCORING = ["tests/model/test_scoring.py", "tests/model/test_problem.py", "tests/model/test_scales.py"]
_ROWS = [
    "tests/rules/test_rows_shape.py",
    "tests/rules/test_rows_brute.py",
    "tests/rules/test_oracle.py",
    "tests/rules/test_check.py",
]
_CHECK = [
    "tests/rules/test_check_hand.py",
    "tests/rules/test_check.py",
    "tests/rules/test_oracle.py",
    "tests/rules/test_rows_brute.py",
]
_BASELINE = ["tests/analysis/test_baseline_rules.py", "tests/analysis/test_baseline.py", "tests/model/test_ids.py"]
_TABLES = [
    "tests/io/test_tables.py",
    "tests/model/test_table_errors.py",
    "tests/model/test_cells.py",
    "tests/model/test_table_messages.py",
    "tests/test_data.py",
]
TESTS: dict[str, list[str]] = {
    "src/allocator/optimize/formulation.py": _FORMULATION,
    "src/allocator/model/ids.py": _FORMULATION,
    "src/allocator/model/scoring.py": _SCORING,
    "src/allocator/model/normalise.py": ["tests/model/test_normalise.py", *_SCORING],
    "src/allocator/optimize/tiebreak.py": ["tests/optimize/test_tiebreak.py", "tests/optimize/test_solve_brute.py"],
    "src/allocator/analysis/explain.py": ["tests/analysis/test_explain_hand.py", "tests/analysis/test_explain.py"],
    "src/allocator/rules/rows.py": _ROWS,
    "src/allocator/analysis/baseline.py": _BASELINE,
    "src/allocator/model/cells.py": _TABLES,
    "src/allocator/model/table.py": _TABLES,
    "src/allocator/rules/check.py": _CHECK,
    "src/allocator/model/selectors.py": [
        "tests/rules/test_selectors.py",
        "tests/rules/test_check_hand.py",
        "tests/rules/test_policy.py",
        "tests/test_catalogue_tables.py",
        "tests/rules/test_check.py",
        "tests/rules/test_oracle.py",
    ],
    "src/allocator/model/ledger.py": [
        "tests/model/test_ledger.py",
        "tests/rules/test_check.py",
        "tests/rules/test_oracle.py",
        "tests/rules/test_check_hand.py",
        "tests/rules/test_policy.py",
    ],
    "src/allocator/model/levels.py": [
        "tests/model/test_levels.py",
        "tests/rules/test_check_hand.py",
        "tests/rules/test_check.py",
        "tests/optimize/test_formulation.py",
        "tests/rules/test_oracle.py",
    ],
    "src/allocator/optimize/diagnose.py": ["tests/optimize/test_diagnose_hand.py", "tests/optimize/test_diagnose.py"],
    "src/allocator/analysis/frontier.py": ["tests/analysis/test_frontier.py"],
    "src/allocator/optimize/knapsack.py": [
        "tests/optimize/test_knapsack.py",
        "tests/optimize/test_engine.py",
        "tests/optimize/test_loaded.py",
    ],
    # the same modules before the new layout (for --ref at an older commit, whose tests had other names:
    # pass them with --tests)
    "src/allocator/formulation.py": _FORMULATION,
    "src/allocator/rules/constraints.py": _ROWS,
    "src/allocator/baseline.py": _BASELINE,
    "src/allocator/adapters/_parse.py": _TABLES,
    "src/allocator/adapters/pandas.py": _TABLES,
}
"""The tests about each module (the default test selection), in the order they run: fast,
hand-worked tests first, since mutmut stops at a mutant's first failing test."""

_STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    37: "killed",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
    -11: "killed",
    -9: "killed",
    None: "not checked",
}


@dataclass
class Report:
    module: str
    counts: dict[str, int] = field(default_factory=dict)
    survivors: list[tuple[str, str]] = field(default_factory=list)  # (name, diff)
    equivalent: list[tuple[str, str]] = field(default_factory=list)

    @property
    def score(self) -> float:
        killed = self.counts.get("killed", 0) + self.counts.get("timeout", 0)
        total = killed + len(self.survivors) + self.counts.get("no tests", 0)
        return killed / total if total else 1.0


def _equivalents() -> set[str]:
    if not EQUIVALENT.is_file():
        return set()
    keys = set()
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            # the changed line may itself hold " | " (a set union): the reason is after the last
            func, rest = line.split(" | ", 1)
            changed = rest.rsplit(" | ", 1)[0]
            keys.add(f"{func.strip()}|{' '.join(changed.split())}")
    return keys


def _scratch(ref: str | None, workdir: Path) -> Path:
    """A copy of the repository (at ``ref``, or the working tree's files) in ``workdir``."""
    dest = workdir / (re.sub(r"[^A-Za-z0-9._-]", "_", ref) if ref else "worktree")
    keep = dest / "mutants"
    if dest.exists():  # keep mutmut's cache, refresh everything else
        for p in dest.iterdir():
            if p != keep:
                shutil.rmtree(p) if p.is_dir() else p.unlink()
    dest.mkdir(parents=True, exist_ok=True)
    if ref:
        data = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
        with tarfile.open(fileobj=BytesIO(data)) as tar:
            tar.extractall(dest, filter="data")
    else:
        files = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split("\n")
        for f in files:
            if f and (ROOT / f).is_file():
                (dest / f).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / f, dest / f)
    return dest


def _configure(dest: Path, module: str, tests: list[str]) -> None:
    text = (dest / "pyproject.toml").read_text(encoding="utf-8")
    text = text.split("\n[tool.mutmut]\n")[0]
    text += (
        "\n[tool.mutmut]\n"
        'source_paths = ["src/"]\n'
        f"only_mutate = {json.dumps([module])}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]\n'
        'process_isolation = "forkserver"\n'
    )
    (dest / "pyproject.toml").write_text(text, encoding="utf-8")


_PROFILE = """

# added by benchmarks.mutation in its scratch copy: few examples, the same ones every run
from hypothesis import HealthCheck as _HC, settings as _settings  # noqa: E402

_settings.register_profile("mutation", max_examples={n}, deadline=None, derandomize=True, database=None,
                           suppress_health_check=list(_HC))
_settings.load_profile("mutation")

# mutmut passes a mutant's tests in no set order and stops at the first failure: run them in
# the order the module's test list gives (fast hand-worked tests first, brute force after)
_ORDER = {order}


def pytest_collection_modifyitems(items):  # noqa: ANN001, ANN201
    def rank(item):  # noqa: ANN001, ANN202
        path = item.nodeid.split("::")[0]
        return next((k for k, t in enumerate(_ORDER) if path == t.split("::")[0] or path.startswith(t.rstrip("/") + "/")), len(_ORDER))

    items.sort(key=rank)
"""


def run(
    module: str, tests: list[str], *, ref: str | None, jobs: int, examples: int, workdir: Path, log: Path
) -> Report:
    dest = _scratch(ref, workdir)
    tests = [t for t in tests if (dest / t.split("::")[0]).exists()]  # a test file may be newer than ref
    _configure(dest, module, tests)
    conftest = dest / "tests" / "conftest.py"
    conftest.write_text(
        conftest.read_text(encoding="utf-8") + _PROFILE.format(n=examples, order=json.dumps(tests)), encoding="utf-8"
    )
    env = os.environ | {"PYTHONDONTWRITEBYTECODE": "1"}
    mutmut = shutil.which("mutmut", path=str(Path(sys.executable).parent)) or "mutmut"
    cmd = ["nice", "-n", "15", mutmut, "run", "--max-children", str(jobs)]
    with log.open("w", encoding="utf-8") as fh:
        subprocess.run(cmd, cwd=dest, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False)
    meta = dest / "mutants" / (module + ".meta")
    if not meta.is_file():
        raise SystemExit(f"mutmut wrote no results for {module}; see {log}")
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    equivalent = _equivalents()
    rep = Report(module)
    for name, code in sorted(codes.items(), key=lambda kv: _natural(kv[0])):
        status = _STATUS.get(code, "suspicious")
        if status == "survived":
            diff = subprocess.run(
                [mutmut, "show", name], check=False, cwd=dest, env=env, capture_output=True, text=True
            ).stdout
            func = name.rsplit(".", 1)[-1].split("__mutmut_")[0]
            changed = " ".join(
                line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")
            )
            changed = " ".join(changed.split())
            if f"{func}|{changed}" in equivalent:
                rep.equivalent.append((name, diff))
                continue
            rep.survivors.append((name, diff))
            continue
        rep.counts[status] = rep.counts.get(status, 0) + 1
    return rep


def _natural(name: str) -> tuple[str, int]:
    head, _, num = name.rpartition("_")
    return (head, int(num) if num.isdigit() else 0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.mutation", description=__doc__.splitlines()[0])
    ap.add_argument("--module", action="append", required=True, help="module path, e.g. src/allocator/model/scoring.py")
    ap.add_argument("--tests", action="append", help="tests to run (default: the module's in TESTS)")
    ap.add_argument("--ref", help="git revision to mutate instead of the working tree")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--examples", type=int, default=10)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "allocator-mutation")
    ap.add_argument("--quiet", action="store_true", help="print the table only, not the surviving diffs")
    args = ap.parse_args(argv)
    reports = []
    for module in args.module:
        module = module if module.startswith("src/") else f"src/{module}"
        tests = args.tests or TESTS.get(module, ["tests/"])
        log = args.workdir / f"{Path(module).stem}-{args.ref or 'worktree'}.log".replace("/", "_")
        args.workdir.mkdir(parents=True, exist_ok=True)
        print(f"mutating {module} (tests: {' '.join(tests)}; log {log}) ...", flush=True)
        rep = run(
            module,
            tests,
            ref=args.ref,
            jobs=args.jobs,
            examples=args.examples,
            workdir=args.workdir / Path(module).stem,
            log=log,
        )
        reports.append(rep)
        if not args.quiet:
            for name, diff in rep.survivors:
                print(f"\nSURVIVED {name}\n{diff.rstrip()}")
    print(
        f"\n| module | mutants | killed | survived | no tests | equivalent | score |{' (at ' + args.ref + ')' if args.ref else ''}"
    )
    print("|---|---|---|---|---|---|---|")
    for r in reports:
        killed = r.counts.get("killed", 0) + r.counts.get("timeout", 0)
        total = killed + len(r.survivors) + r.counts.get("no tests", 0) + len(r.equivalent)
        print(
            f"| {r.module} | {total} | {killed} | {len(r.survivors)} | {r.counts.get('no tests', 0)} | "
            f"{len(r.equivalent)} | {r.score:.1%} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
