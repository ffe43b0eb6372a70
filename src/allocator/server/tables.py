"""Uploaded tables: ``POST /v1/solve/table`` (CSV / XLSX and an optional policy) and ``POST /v1/policy``.

The form's parts:

``applications`` (file, required)
    The table of applications: .csv (``,`` or ``;`` with decimal comma), .xlsx or .json.
``policy`` (file)
    A TOML policy (frame, weights, scales, thresholds, labels, columns, options, rules).
``ledger`` (file)
    The de minimis ledger (CSV) a policy names; the service opens no file of its own.
``frame``, ``weights``, ``scales``, ``thresholds``, ``columns`` (text)
    Override the policy key by key. ``weights``: ``green=0.4; smart=0.3`` (or a JSON object);
    ``scales``: ``green=1:7``; ``columns``: ``requested=Søknadsbeløp``.
``sheet``, ``name``, ``lang`` (``en`` / ``nb``), ``explain``, ``partial``, ``include_problem`` (text)

The answer is JSON (the optimum beside rank and fund, as ``POST /v1/rank-and-fund``), or the
Excel report when the request's ``Accept`` asks for
``application/vnd.openxmlformats-officedocument.spreadsheetml.sheet``.

An upload is written to a fresh temporary folder under a name the service chooses
(``applications.csv``); nothing the client sends is used as a path.
"""

from __future__ import annotations

import json
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from allocator.server import library as lib
from allocator.server.errors import ApiError
from allocator.server.settings import Settings

__all__ = [
    "XLSX",
    "Form",
    "build_problem",
    "ledger_names",
    "policy_summary",
    "read_policy",
    "report_bytes",
]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Form = dict[str, Any]
"""Text fields as ``str``; files as ``(filename, bytes)``."""


def _invalid(detail: str, field: str) -> ApiError:
    from allocator.server.errors import FieldError

    return ApiError(
        422,
        detail,
        kind="invalid-form",
        title="Invalid form",
        errors=[FieldError(path=field, message=detail)],
    )


def _pairs(text: str, field: str, convert: Any) -> dict[str, Any]:
    """``a=1; b=2`` (or newlines, or a JSON object) -> dict."""
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise _invalid(f"field '{field}': not valid JSON ({exc})", field) from None
        if not isinstance(raw, dict):
            raise _invalid(f"field '{field}': give a JSON object", field)
        items = list(raw.items())
    else:
        items = []
        for part in re.split(r"[;\n]", text):
            if not part.strip():
                continue
            k, sep, v = part.partition("=")
            if not sep or not k.strip() or not v.strip():
                raise _invalid(
                    f"field '{field}': {part.strip()!r} must look like name=value (several separated by ';')",
                    field,
                )
            items.append((k.strip(), v.strip()))
    out = {}
    for k, v in items:
        try:
            out[str(k)] = convert(v)
        except (TypeError, ValueError):
            raise _invalid(f"field '{field}': {k}={v!r} is not valid", field) from None
    return out


def _scale(v: Any) -> tuple[float, float]:
    if isinstance(v, (list, tuple)) and len(v) == 2:
        return float(v[0]), float(v[1])
    lo, sep, hi = str(v).partition(":")
    return (float(lo), float(hi)) if sep else (0.0, float(lo))


def _number(v: Any) -> float:
    return float(str(v).replace(",", ".").replace(" ", "")) if not isinstance(v, (int, float)) else float(v)


def _amount(text: str, field: str) -> int | None:
    cleaned = re.sub(r"[\s_\u00a0]", "", text)
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        raise _invalid(
            f"field '{field}': {text!r} is not an amount; give whole kroner, e.g. 2300000",
            field,
        ) from None
    if not value.is_integer() or value <= 0:
        raise _invalid(
            f"field '{field}': {text!r} must be a positive whole amount of kroner",
            field,
        )
    return int(value)


def _truthy(form: Form, key: str) -> bool:
    return str(form.get(key, "")).strip().lower() in ("1", "true", "on", "yes")


def _suffix(filename: str, data: bytes) -> str:
    if data[:4] == b"PK\x03\x04":
        return ".xlsx"
    suffix = Path(filename or "").suffix.lower()
    if suffix in (".csv", ".xlsx", ".json"):
        return suffix
    if suffix in (".xls", ".xlsm", ".ods"):
        raise _invalid(
            f"field 'applications': {suffix} files are not read; save the workbook as .xlsx or .csv",
            "applications",
        )
    return ".json" if data.lstrip()[:1] in (b"[", b"{") else ".csv"


def _file(form: Form, key: str) -> tuple[str, bytes] | None:
    v = form.get(key)
    if isinstance(v, tuple) and v[1]:
        return str(v[0]), bytes(v[1])
    return None


def ledger_names(form: Form) -> list[str]:
    """The de minimis ledgers the uploaded policy names (a policy that is not TOML names none)."""
    up = _file(form, "policy")
    if up is None:
        return []
    try:
        raw = tomllib.loads(up[1].decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    rules = raw.get("rules", [])
    return sorted(
        {r["ledger"] for r in rules if isinstance(r, dict) and isinstance(r.get("ledger"), str)}
        if isinstance(rules, list)
        else set()
    )


def read_policy(form: Form, folder: Path, *, need_ledger: bool = True) -> lib.Policy | None:
    """The uploaded policy, its ledger taken from the ``ledger`` upload (422 if it is missing;
    with ``need_ledger=False`` an empty ledger stands in, to read the rest of the policy)."""
    up = _file(form, "policy")
    if up is None:
        return None
    filename, data = up
    source = Path(filename or "policy.toml").name or "policy.toml"  # only for messages
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid(f"{source}: not UTF-8 text; save the policy as UTF-8", "policy") from None
    names = ledger_names(form)
    ledgers: dict[str, Any] = {}
    if names:
        led = _file(form, "ledger")
        if led is None and not need_ledger:
            empty: lib.Policy = _library(
                lib.parse_policy,
                text,
                source=source,
                base_dir=folder,
                ledgers={n: () for n in names},
            )
            return empty
        if led is None:
            raise _invalid(
                f"{source} names the de minimis ledger {names[0]!r}: upload it as well (field 'ledger'); "
                "the service opens no files of its own",
                "ledger",
            )
        path = folder / "ledger.csv"
        path.write_bytes(led[1])
        entries = _library(lib.read_ledger, path)
        ledgers = {n: entries for n in names}  # one ledger upload serves every rule naming one
    policy: lib.Policy = _library(lib.parse_policy, text, source=source, base_dir=folder, ledgers=ledgers)
    return policy


def _library(fn: Any, *args: Any, **kw: Any) -> Any:
    try:
        return fn(*args, **kw)
    except lib.AllocatorError as exc:
        raise ApiError.of_library(exc) from None


def build_problem(form: Form, settings: Settings) -> lib.Problem:
    """The problem the form describes (422 with the library's message when it cannot)."""
    up = _file(form, "applications")
    if up is None:
        raise _invalid(
            "field 'applications': upload the table of applications (.csv, .xlsx or .json)",
            "applications",
        )
    with tempfile.TemporaryDirectory(prefix="allocator-upload-") as tmp:
        folder = Path(tmp)
        path = folder / f"applications{_suffix(up[0], up[1])}"
        path.write_bytes(up[1])
        policy = read_policy(form, folder)
        frame = _amount(str(form.get("frame", "")), "frame")
        weights = _pairs(str(form.get("weights", "")), "weights", _number)
        scales = _pairs(str(form.get("scales", "")), "scales", _scale)
        thresholds = _pairs(str(form.get("thresholds", "")), "thresholds", _number)
        columns = _pairs(str(form.get("columns", "")), "columns", str)
        sheet = str(form.get("sheet", "")).strip() or None
        name = str(form.get("name", "")).strip()
        df = _library(lib.read_table, path, sheet=sheet)
        if policy is not None:
            update: dict[str, Any] = {
                k: getattr(policy, k) | v
                for k, v in (
                    ("weights", weights),
                    ("scales", scales),
                    ("thresholds", thresholds),
                    ("columns", columns),
                )
                if v
            }
            if frame is not None:
                update["frame"] = frame
            if name:
                update["name"] = name
            problem: lib.Problem = _library(policy.model_copy(update=update).apply, df)
        else:
            if frame is None or not weights:
                missing = "frame" if frame is None else "weights"
                raise _invalid(
                    f"field '{missing}': give the {missing} (or upload a policy that has it)",
                    missing,
                )
            problem = _library(
                lib.Problem.from_frame,
                df,
                frame=frame,
                weights=weights,
                scales=scales or None,
                thresholds=thresholds or None,
                name=name or "uploaded call",
                **columns,
            )
    if _truthy(form, "partial"):
        problem = _library(problem.with_options, partial=True)
    from allocator.server.parsing import check_problem

    check_problem(problem, settings, "applications")
    return problem


def policy_summary(policy: lib.Policy) -> dict[str, Any]:
    """What the page prefills from a policy: frame, weights, labels, scales, options, rules."""
    return {
        "name": policy.name,
        "frame": policy.frame,
        "currency": policy.currency,
        "weights": policy.weights,
        "labels": policy.labels,
        "scales": {k: list(v) for k, v in policy.scales.items()},
        "thresholds": policy.thresholds,
        "columns": policy.columns,
        "options": policy.options,
        "rules": [r.display for r in policy.rules],
    }


def report_bytes(
    problem: lib.Problem,
    solution: lib.Solution,
    baseline: lib.Solution,
    lang: str,
    explain: bool,
) -> bytes:
    """The Excel report of ``solution`` (with rank and fund, and explanations when asked)."""
    explanations = None
    if explain and solution.status.has_solution:
        explanations = lib.explain(problem, solution, lang=lang)
    with tempfile.TemporaryDirectory(prefix="allocator-report-") as tmp:
        path = Path(tmp) / "allocator-report.xlsx"
        lib.write_report(
            solution,
            path,
            problem=problem,
            baseline=baseline,
            explanations=explanations,
            lang=lang,
        )
        return path.read_bytes()
