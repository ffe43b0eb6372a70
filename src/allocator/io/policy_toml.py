"""Reading a policy file's TOML into the fields of a policy, with line numbers for messages.

:func:`policy_fields` checks every key and value of a parsed TOML document (the frame,
per-criterion tables, options and rules) and says where a mistake is: the file, the line,
the key, the value and the fix. :class:`~allocator.io.policy.Policy` is built from what it
returns.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from allocator.exceptions import AllocatorError, PolicyError
from allocator.model.limits import check_scale, check_score, check_weight
from allocator.model.parts import Options
from allocator.model.rules import RULE_KINDS, parse_money
from allocator.model.selectors import unknown

__all__ = ["POLICY_KEYS", "Lines", "policy_fields"]

POLICY_KEYS = (
    "name",
    "frame",
    "currency",
    "weights",
    "scales",
    "thresholds",
    "labels",
    "labels_nb",
    "columns",
    "options",
    "rules",
    "robustness",
)
"""The top-level keys of a policy file."""


class Lines:
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


def policy_fields(raw: dict[str, Any], lines: Lines, source: str, base: Path | dict[str, Any]) -> dict[str, Any]:
    """The fields of a :class:`~allocator.io.policy.Policy` from a parsed TOML document.

    ``lines`` locates keys in the text for messages; ``base`` is the folder relative ledger
    paths are read from, or the ledgers given by name. Every mistake is a PolicyError naming
    the line, the key and the fix.
    """
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
    for table in ("weights", "scales", "thresholds", "labels", "labels_nb", "columns", "options"):
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
                    try:
                        check_weight(x)
                    except ValueError as exc:
                        raise ValueError(f"weight {v!r} {exc}") from None
                    out.setdefault(table, {})[key] = x
                elif table == "scales":
                    if isinstance(v, (list, tuple)) and len(v) == 2:
                        lo, hi = _number(v[0], "scale minimum"), _number(v[1], "scale maximum")
                    else:
                        lo, hi = 0.0, _number(v, "scale maximum")
                    try:
                        check_scale(lo, hi)
                    except ValueError as exc:
                        raise ValueError(
                            f"scale {v!r} is not a range ({exc}); give [min, max] with min < max, e.g. [1, 7]"
                        ) from None
                    out.setdefault(table, {})[key] = (lo, hi)
                elif table == "thresholds":
                    x = _number(v, "threshold")
                    try:
                        check_score(x)
                    except ValueError as exc:
                        raise ValueError(f"threshold {v!r} {exc}; give a threshold on the criterion's scale") from None
                    out.setdefault(table, {})[key] = x
                elif table in ("labels", "labels_nb", "columns"):
                    if not isinstance(v, str):
                        raise ValueError(f"give text in quotes, not {v!r}")
                    out.setdefault(table, {})[key] = v
            except ValueError as exc:
                raise PolicyError(f"{at}: {exc}") from None
    if "options" in tables:
        out["options"] = _options(tables["options"], lines, source)
    if "robustness" in raw:
        if not isinstance(raw["robustness"], dict):
            raise PolicyError(
                f"{_at(source, lines.of(None, 'robustness'))}, key 'robustness': must be a table "
                "([robustness] with key = value lines)"
            )
        out["robustness"] = raw["robustness"]
    if "rules" in raw:
        rules = raw["rules"]
        if isinstance(rules, dict):
            rules = [rules]
        if not isinstance(rules, list):
            raise PolicyError(
                f"{_at(source, lines.of(None, 'rules'))}, key 'rules': write each rule as a [[rules]] table"
            )
        out["rules"] = tuple(_rule(k, d, lines, source, base) for k, d in enumerate(rules))
    return out


def _options(d: dict[str, Any], lines: Lines, source: str) -> dict[str, Any]:

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


def _rule(k: int, d: Any, lines: Lines, source: str, base: Path | dict[str, Any]) -> Any:
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
        raise PolicyError(f'{where}: no kind; add kind = "...", one of {kinds}')
    if kind not in RULE_KINDS:
        raise unknown(
            f"{_at(source, lines.of('rules', 'kind', k))}, rules[{k}]", "unknown rule kind", kind, kinds, "kinds"
        )
    cls = RULE_KINDS[kind]
    keys = [f for f in cls.model_fields if f != "label"] + ["label", "name"]
    for key in d:
        if key not in keys:
            line = lines.of("rules", key, k)
            raise unknown(
                f"{_at(source, line)}, rules[{k}]{f' ({label!r})' if label else ''}",
                f"a {kind!r} rule has no key",
                key,
                keys,
                f"keys of a {kind!r} rule",
            )
    d = dict(d)
    if kind == "de_minimis" and isinstance(d.get("ledger"), str) and isinstance(base, dict):
        if d["ledger"] not in base:
            raise PolicyError(
                f"{_at(source, lines.of('rules', 'ledger', k))}, rules[{k}], key 'ledger': the ledger "
                f"{d['ledger']!r} was not given; give its rows along with the policy"
            )
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
        raise PolicyError(
            f"{_at(source, line)}, rules[{k}]{f' ({label!r})' if label else ''}{keypath}{shown}: {msg}"
        ) from None
    except PolicyError as exc:  # a ledger file that cannot be read
        raise PolicyError(f"{where}, key 'ledger': {exc}") from None
