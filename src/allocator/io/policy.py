"""A call's policy in a TOML file: frame, weights, scales, thresholds, options and rules.

A policy file is what an adviser writes down once per call::

    name = "VTFK 2022 round 2"
    frame = 2_300_000

    [weights]                      # criterion = weight
    green = 0.30
    smart = 0.25

    [scales]                       # criterion = [min, max] (or max)
    green = [1, 7]

    [thresholds]                   # criterion = lowest eligible score
    green = 3

    [labels]                       # criterion = display name
    green = "Grønn omstilling"

    [columns]                      # field or criterion = column header of the table
    id = "Søknadsnr"
    green = "Grønn omstilling"

    [options]                      # see allocator.Options
    partial = true
    step = 10_000

    [[rules]]                      # any rule of allocator.model.rules, by kind
    kind = "group"
    label = "at least one business network"
    category = "bedriftsnettverk"
    min_count = 1

:func:`load_policy` reads and validates it; :meth:`Policy.apply` puts it on a table of
applications (a DataFrame or a file path) or on an existing :class:`~allocator.model.problem.Problem`::

    problem = load_policy("call.toml").apply(df)

Every mistake (bad TOML, an unknown key or rule kind, a share above 100 %, a malformed
number, an unknown column, category or criterion) is one
:class:`~allocator.exceptions.PolicyError` naming the file, the line, the key and the fix,
with the nearest known name when there is one.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from allocator.exceptions import AllocatorError, PolicyError
from allocator.io.tables import read_table
from allocator.model.parts import Options
from allocator.model.problem import Problem
from allocator.model.rules import RULE_KINDS, Rule, parse_money
from allocator.model.selectors import unknown
from allocator.model.validate import validate_rules

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["POLICY_KEYS", "Policy", "load_policy", "parse_policy"]

POLICY_KEYS = ("name", "frame", "currency", "weights", "scales", "thresholds", "labels", "columns", "options", "rules", "robustness")
"""The top-level keys of a policy file."""


class Policy(BaseModel):
    """A call's policy: what :meth:`apply` puts on a table or a problem (all optional).

    Attributes
    ----------
    frame, name, currency
        The call's frame (whole kroner), name and currency.
    weights, scales, thresholds, labels
        Per criterion: weight, scale ``(min, max)``, eligibility threshold, display name.
    columns
        Column mapping for tables, ``field or criterion -> header`` (``id = "Søknadsnr"``).
    options
        :class:`~allocator.model.problem.Options` fields (``partial``, ``step``, ``tie_break`` ...).
    rules
        The call's rules; they replace any rules of a problem the policy is applied to.
    robustness
        The ``[robustness]`` table as written (read by :func:`allocator.robust.uncertainty_from_policy`).
    source
        The file the policy was read from.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    frame: int | None = None
    currency: str | None = None
    weights: dict[str, float] = Field(default_factory=dict)
    scales: dict[str, tuple[float, float]] = Field(default_factory=dict)
    thresholds: dict[str, float] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    columns: dict[str, str] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    robustness: dict[str, Any] = Field(default_factory=dict)
    source: str = "policy"

    def _where(self, k: int) -> str:
        return f"{self.source}, rules[{k}] ({self.rules[k].display!r})"

    def apply(self, target: Problem | pd.DataFrame | str | Path) -> Problem:
        """The problem this policy makes of ``target``.

        ``target``: a DataFrame of applications (or a CSV / XLSX / JSON file of them),
        read with this policy's frame, weights, scales, thresholds, labels, columns and
        options; or a :class:`~allocator.model.problem.Problem`, whose frame, weights, criteria and
        options the policy's values override. The policy's rules replace the problem's.
        """

        if isinstance(target, (str, Path)):

            target = read_table(target)
        if isinstance(target, Problem):
            base = self._on_problem(target)
        elif type(target).__name__ == "DataFrame":
            base = self._on_frame(target)
        else:
            raise PolicyError(
                f"{self.source}: cannot apply a policy to {type(target).__name__}; "
                "give a DataFrame of applications, a file of them or a Problem"
            )
        rules = tuple(self._columns_to_fields(r) for r in self.rules)
        if rules:
            validate_rules(base, rules, where=[self._where(k) for k in range(len(rules))])
        data = {k: getattr(base, k) for k in type(base).model_fields}
        data["rules"] = rules
        return Problem(**data)

    def _columns_to_fields(self, rule: Any) -> Any:
        """A rule naming a table header that ``columns`` maps to a field (``Kategori`` for
        ``category``) refers to the field."""
        back = {h: f for f, h in self.columns.items()}
        if not back:
            return rule
        upd: dict[str, Any] = {}
        if rule.where:
            upd["where"] = {back.get(k, k): v for k, v in rule.where.items()}
        for key in ("per", "other_public", "column", "undertaking"):
            v = getattr(rule, key, None)
            if isinstance(v, str) and v in back:
                upd[key] = back[v]
        if getattr(rule, "columns", None):
            upd["columns"] = {y: back.get(c, c) for y, c in rule.columns.items()}
        return rule.model_copy(update=upd) if upd else rule

    def _on_frame(self, df: pd.DataFrame) -> Problem:

        for key in ("frame", "weights"):
            if not getattr(self, key):
                example = "frame = 2_300_000" if key == "frame" else "[weights] with green = 0.4, ..."
                raise PolicyError(
                    f"{self.source}: the policy has no {key}; add {example} to read a table with it, "
                    "or apply it to a Problem"
                )
        return Problem.from_frame(
            df,
            frame=self.frame,  # type: ignore[arg-type]
            weights=self.weights,
            scales=self.scales or None,
            thresholds=self.thresholds or None,
            labels=self.labels or None,
            options=self.options or None,
            name=self.name or "",
            currency=self.currency or "NOK",
            **dict[str, Any](self.columns),
        )

    def _on_problem(self, p: Problem) -> Problem:
        names = [c.name for c in p.criteria]
        for table in ("weights", "scales", "thresholds", "labels"):
            for k in getattr(self, table):
                if k not in names:
                    raise unknown(f"{self.source}, key '{table}.{k}'", "unknown criterion", k, names, "criteria")
        crits = []
        for c in p.criteria:
            upd: dict[str, Any] = {}
            if c.name in self.weights:
                upd["weight"] = self.weights[c.name]
            if c.name in self.scales:
                upd["scale_min"], upd["scale_max"] = self.scales[c.name]
            if c.name in self.thresholds:
                upd["threshold"] = self.thresholds[c.name]
            if c.name in self.labels:
                upd["label"] = self.labels[c.name]
            crits.append(type(c)(**(c.model_dump() | upd)) if upd else c)
        data = {k: getattr(p, k) for k in type(p).model_fields}
        data["criteria"] = crits
        if self.frame is not None:
            data["frame"] = self.frame
        if self.name is not None:
            data["name"] = self.name
        if self.currency is not None:
            data["currency"] = self.currency
        if self.options:
            data["options"] = p.options.model_dump() | self.options
        try:
            return type(p)(**data)
        except PolicyError:
            raise
        except AllocatorError as exc:
            raise PolicyError(f"{self.source}: {exc}") from None


# ----------------------------------------------------------------------------- reading
class _Lines:
    """Line numbers of keys in the TOML text, for messages."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[int, str]] = []  # (line number, table name)
        for n, line in enumerate(self.lines, start=1):
            m = re.match(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?", line)
            if m and not re.match(r"\s*\w+\s*=", line):
                self.headers.append((n, m.group(1).strip()))

    def _span(self, table: str | None, index: int = 0) -> tuple[int, int]:
        if table is None:
            end = self.headers[0][0] if self.headers else len(self.lines) + 1
            return 1, end
        hits = [n for n, name in self.headers if name == table]
        if index >= len(hits):
            return 0, 0
        start = hits[index]
        after = [n for n, _ in self.headers if n > start]
        return start, after[0] if after else len(self.lines) + 1

    def of(self, table: str | None, key: str | None = None, index: int = 0) -> int | None:
        """Line of ``key`` in ``table`` (the ``index``-th of an array of tables), or of the header."""
        a, b = self._span(table, index)
        if not a:
            return None
        if key is None:
            return a
        pat = re.compile(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for n in range(a, b):
            if pat.match(self.lines[n - 1]):
                return n
        if table is None:  # maybe written as a table header [key]
            return next((n for n, name in self.headers if name == key), None)
        return a


def _at(source: str, line: int | None) -> str:
    return f"{source}, line {line}" if line else source


def _number(v: Any, what: str) -> float:
    if isinstance(v, bool):
        raise ValueError(f"{what} {v!r} is not a number")
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip().replace(",", "."))
        except ValueError:
            pass
    raise ValueError(f"{what} {v!r} is not a number; write it as 0.3 (no quotes, a decimal point)")


def parse_policy(
    text: str,
    *,
    source: str = "policy",
    base_dir: str | Path | None = None,
    ledgers: Mapping[str, Any] | None = None,
) -> Policy:
    """Validate a policy given as TOML text (see :func:`load_policy`).

    ``ledgers``: the de minimis ledgers the policy names, by the name it gives them (as rows,
    a DataFrame, or anything a ``de_minimis`` rule's ``ledger`` takes). When given, a ledger
    named in the policy is looked up there and never opened as a file (a service reading a
    policy sent to it opens no file on the sender's word); a name it lacks is a PolicyError.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(
            f"{source}: not valid TOML: {exc}; fix the syntax there (text in quotes, numbers without "
            "spaces such as 2_300_000, one key = value per line)"
        ) from None
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    return _from_dict(raw, _Lines(text), source, base if ledgers is None else dict(ledgers))


def load_policy(path: str | Path) -> Policy:
    """Read a policy file (TOML). Relative paths in it (a de minimis ledger) are relative to it.

    Examples
    --------
    >>> from allocator.data import EXAMPLE_POLICY, load_example
    >>> policy = load_policy(EXAMPLE_POLICY)
    >>> problem = policy.apply(load_example())
    >>> len(problem.rules) > 3
    True
    """
    p = Path(path)
    if not p.is_file():
        raise PolicyError(f"policy file {str(p)!r} does not exist; give the path of a .toml file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"policy file {str(p)!r} could not be read ({exc}); save it as UTF-8 text") from None
    return parse_policy(text, source=p.name, base_dir=p.parent).model_copy(update={"source": p.name})


def _from_dict(raw: dict[str, Any], lines: _Lines, source: str, base: Path | dict[str, Any]) -> Policy:
    for k in raw:
        if k not in POLICY_KEYS:
            raise unknown(_at(source, lines.of(None, k)), "unknown key", k, POLICY_KEYS, "keys of a policy")
    out: dict[str, Any] = {"source": source}
    for k in ("name", "currency"):
        if k in raw:
            if not isinstance(raw[k], str):
                raise PolicyError(f"{_at(source, lines.of(None, k))}, key {k!r}: give text in quotes, not {raw[k]!r}")
            out[k] = raw[k]
    if "frame" in raw:
        try:
            out["frame"] = parse_money(raw["frame"])
            if out["frame"] <= 0:
                raise ValueError("the frame must be greater than 0")
        except ValueError as exc:
            raise PolicyError(f"{_at(source, lines.of(None, 'frame'))}, key 'frame': {exc}") from None
    tables: dict[str, Any] = {}
    for table in ("weights", "scales", "thresholds", "labels", "columns", "options"):
        if table not in raw:
            continue
        d = raw[table]
        if not isinstance(d, dict):
            raise PolicyError(
                f"{_at(source, lines.of(None, table))}, key {table!r}: must be a table ([{table}] with one "
                f"key = value per line), not {d!r}"
            )
        tables[table] = d
        for key, v in d.items():
            at = f"{_at(source, lines.of(table, key))}, key '{table}.{key}'"
            try:
                if table == "weights":
                    x = _number(v, "weight")
                    if x < 0:
                        raise ValueError(f"weight {v!r} is negative; weights are at least 0")
                    out.setdefault(table, {})[key] = x
                elif table == "scales":
                    if isinstance(v, (list, tuple)) and len(v) == 2:
                        lo, hi = _number(v[0], "scale minimum"), _number(v[1], "scale maximum")
                    else:
                        lo, hi = 0.0, _number(v, "scale maximum")
                    if not hi > lo or hi <= 0:
                        raise ValueError(f"scale {v!r} is not a range; give [min, max] with min < max, e.g. [1, 7]")
                    out.setdefault(table, {})[key] = (lo, hi)
                elif table == "thresholds":
                    out.setdefault(table, {})[key] = _number(v, "threshold")
                elif table in ("labels", "columns"):
                    if not isinstance(v, str):
                        raise ValueError(f"give text in quotes, not {v!r}")
                    out.setdefault(table, {})[key] = v
            except ValueError as exc:
                raise PolicyError(f"{at}: {exc}") from None
    if "options" in tables:
        out["options"] = _options(tables["options"], lines, source)
    if "robustness" in raw:
        if not isinstance(raw["robustness"], dict):
            raise PolicyError(f"{_at(source, lines.of(None, 'robustness'))}, key 'robustness': must be a table ([robustness] with key = value lines)")
        out["robustness"] = raw["robustness"]
    if "rules" in raw:
        rules = raw["rules"]
        if isinstance(rules, dict):
            rules = [rules]
        if not isinstance(rules, list):
            raise PolicyError(f"{_at(source, lines.of(None, 'rules'))}, key 'rules': write each rule as a [[rules]] table")
        out["rules"] = tuple(_rule(k, d, lines, source, base) for k, d in enumerate(rules))
    return Policy(**out)


def _options(d: dict[str, Any], lines: _Lines, source: str) -> dict[str, Any]:

    known = list(Options.model_fields)
    for key in d:
        if key not in known:
            raise unknown(_at(source, lines.of("options", key)), "unknown option", key, known, "options")
    d = dict(d)
    if "step" in d:
        try:
            d["step"] = parse_money(d["step"])
        except ValueError as exc:
            raise PolicyError(f"{_at(source, lines.of('options', 'step'))}, key 'options.step': {exc}") from None
    try:
        Options(**d)
    except AllocatorError as exc:
        m = re.search(r"field '([^']+)'", str(exc))
        field = m.group(1) if m else None
        msg = str(exc).split(": ", 2)[-1] if m else str(exc)
        line = lines.of("options", field) if field else lines.of("options")
        raise PolicyError(f"{_at(source, line)}, key 'options.{field or '?'}': {msg}") from None
    return d


def _rule(k: int, d: Any, lines: _Lines, source: str, base: Path | dict[str, Any]) -> Any:
    head = lines.of("rules", None, k)
    where = f"{_at(source, head)}, rules[{k}]"
    if not isinstance(d, dict):
        raise PolicyError(f"{where}: a rule must be a table ([[rules]] with key = value lines), not {d!r}")
    label = d.get("label") or d.get("name")
    if label:
        where += f" ({label!r})"
    kinds = list(RULE_KINDS)
    kind = d.get("kind")
    if kind is None:
        raise PolicyError(f"{where}: no kind; add kind = \"...\", one of {kinds}")
    if kind not in RULE_KINDS:
        raise unknown(f"{_at(source, lines.of('rules', 'kind', k))}, rules[{k}]", "unknown rule kind", kind, kinds, "kinds")
    cls = RULE_KINDS[kind]
    keys = [f for f in cls.model_fields if f != "label"] + ["label", "name"]
    for key in d:
        if key not in keys:
            line = lines.of("rules", key, k)
            raise unknown(
                f"{_at(source, line)}, rules[{k}]{f' ({label!r})' if label else ''}",
                f"a {kind!r} rule has no key", key, keys, f"keys of a {kind!r} rule",
            )
    d = dict(d)
    if kind == "de_minimis" and isinstance(d.get("ledger"), str) and isinstance(base, dict):
        if d["ledger"] not in base:
            raise PolicyError(f"{_at(source, lines.of('rules', 'ledger', k))}, rules[{k}], key 'ledger': the ledger "
                              f"{d['ledger']!r} was not given; give its rows along with the policy")
        d["ledger"] = base[d["ledger"]]
    elif kind == "de_minimis" and isinstance(d.get("ledger"), str) and isinstance(base, Path):
        ledger = Path(d["ledger"])
        d["ledger"] = ledger if ledger.is_absolute() else base / ledger
    try:
        return cls.model_validate(d)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        cause = (first.get("ctx") or {}).get("error")
        err = (getattr(cause, "details", None) or [first])[0]
        loc = [str(x) for x in err["loc"]]
        key = loc[0] if loc else None
        msg = str(err["msg"]).removeprefix("Value error, ")
        line = lines.of("rules", key, k) if key else head
        given = err.get("input")
        shown = "" if isinstance(given, (dict, list, tuple)) or not loc else f" (given {given!r})"
        keypath = f", key {'.'.join(loc)!r}" if loc else ""
        raise PolicyError(f"{_at(source, line)}, rules[{k}]{f' ({label!r})' if label else ''}{keypath}{shown}: {msg}") from None
    except PolicyError as exc:  # a ledger file that cannot be read
        raise PolicyError(f"{where}, key 'ledger': {exc}") from None
