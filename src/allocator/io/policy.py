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
    green = "Green transition"

    [labels_nb]                    # criterion = display name in Norwegian (reports in nb)
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
    label_nb = "minst ett bedriftsnettverk"   # the label in reports in Norwegian
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

import tomllib
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from allocator.exceptions import AllocatorError, InputError, PolicyError
from allocator.io.policy_toml import POLICY_KEYS, Lines, policy_fields
from allocator.io.tables import read_table
from allocator.model.encoding import decode
from allocator.model.problem import Problem
from allocator.model.rules import Rule
from allocator.model.selectors import unknown
from allocator.model.texts import clean_text
from allocator.model.validate import validate_rules

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["POLICY_KEYS", "Policy", "load_policy", "parse_policy"]


class Policy(BaseModel):
    """A call's policy: what :meth:`apply` puts on a table or a problem (all optional).

    Attributes
    ----------
    frame, name, currency
        The call's frame (whole kroner), name and currency.
    weights, scales, thresholds, labels, labels_nb
        Per criterion: weight, scale ``(min, max)``, eligibility threshold, display name
        (and in Norwegian, for reports in ``lang="nb"``).
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
    labels_nb: dict[str, str] = Field(default_factory=dict)
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
            labels_nb=self.labels_nb or None,
            options=self.options or None,
            name=self.name or "",
            currency=self.currency or "NOK",
            **dict[str, Any](self.columns),
        )

    def _on_problem(self, p: Problem) -> Problem:
        names = [c.name for c in p.criteria]
        for table in ("weights", "scales", "thresholds", "labels", "labels_nb"):
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
            if c.name in self.labels_nb:
                upd["label_nb"] = self.labels_nb[c.name]
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
    if not isinstance(text, str):
        raise TypeError(f"parse_policy: give the policy as TOML text (str), not {type(text).__name__}")
    text = clean_text(text, strip=False)  # NFC, no invisible characters, like every text allocator reads
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(
            f"{source}: not valid TOML: {exc}; fix the syntax there (text in quotes, numbers without "
            "spaces such as 2_300_000, one key = value per line)"
        ) from None
    except RecursionError:
        raise PolicyError(
            f"{source}: the TOML is nested too deeply to read (arrays or tables inside each other hundreds of "
            "levels deep); give a flat policy: top-level keys, [tables] and [[rules]] with lists of names"
        ) from None
    except ValueError:  # an integer of more than 4 300 digits
        raise PolicyError(
            f"{source} holds a number of more than 4 300 digits; give amounts in whole kroner (at most 14 digits)"
        ) from None
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    return Policy(**policy_fields(raw, Lines(text), source, base if ledgers is None else dict(ledgers)))


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
    if not isinstance(path, (str, PathLike)):
        raise TypeError(f"load_policy: give the path of a .toml file (str or pathlib.Path), not {type(path).__name__}")
    p = Path(path)
    if not p.is_file():
        raise PolicyError(f"policy file {str(p)!r} does not exist; give the path of a .toml file")
    try:
        text = decode(p.read_bytes(), p.name, legacy=False)
    except OSError as exc:
        raise PolicyError(
            f"policy file {str(p)!r} could not be read ({exc.strerror or exc}); check the file and its permissions"
        ) from None
    except InputError as exc:
        raise PolicyError(f"policy file {exc}") from None
    return parse_policy(text, source=p.name, base_dir=p.parent).model_copy(update={"source": p.name})
