"""Which column of a user's table holds which field: explicit mapping, then known headers.

A field (``id``, ``requested``, ...) or criterion (``green``, ...) is found, in this order:

1. in the column named by its keyword (``requested="Søknadsbeløp"``), which must exist;
2. in a column with exactly its name;
3. in a column whose header matches its name or one of the common Norwegian headers below,
   ignoring case, surrounding whitespace, runs of spaces and the difference between ``_``,
   ``-`` and a space.

Norwegian headers recognised without a mapping:

========================  ===============================================
field / criterion         headers
========================  ===============================================
id                        Søknadsnr, Søknadsnummer, Saksnummer, Saksnr
title                     Tittel, Prosjektnavn, Prosjekttittel
applicant                 Søker, Søkerorganisasjon
requested                 Søknadsbeløp, Omsøkt beløp
minimum                   Minimumsbeløp, Minstebeløp
total_cost                Prosjektkostnad, Totalkostnad
category                  Kategori, Tema
tags                      Stikkord
green                     Grønn omstilling
smart                     Smart spesialisering
innovation                Innovasjon
value_creation            Verdiskaping
breadth                   Aktørbredde
========================  ===============================================
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable, Mapping, Sequence

from allocator.exceptions import InputError
from allocator.model.texts import clean_text

__all__ = ["ALIASES", "FIELDS", "REQUIRED", "normalise_header", "resolve_columns", "text_columns"]

FIELDS: tuple[str, ...] = ("id", "title", "applicant", "requested", "minimum", "total_cost", "category", "tags")
"""The application fields a table can carry (criteria come on top)."""

REQUIRED: tuple[str, ...] = ("id", "requested")

_DESCRIBE = {
    "id": "the application's unique id",
    "requested": "the requested amount",
}

ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("Søknadsnr", "Søknadsnummer", "Saksnummer", "Saksnr"),
    "title": ("Tittel", "Prosjektnavn", "Prosjekttittel"),
    "applicant": ("Søker", "Søkerorganisasjon"),
    "requested": ("Søknadsbeløp", "Omsøkt beløp"),
    "minimum": ("Minimumsbeløp", "Minstebeløp"),
    "total_cost": ("Prosjektkostnad", "Totalkostnad"),
    "category": ("Kategori", "Tema"),
    "tags": ("Stikkord",),
    "green": ("Grønn omstilling",),
    "smart": ("Smart spesialisering",),
    "innovation": ("Innovasjon",),
    "value_creation": ("Verdiskaping",),
    "breadth": ("Aktørbredde",),
}
"""Headers recognised without a mapping, per field or criterion name."""


def normalise_header(name: object) -> str:
    """Header for matching: normalised like every text (NFC, no invisible characters, see
    :mod:`allocator.model.texts`), lower case, '_' and '-' as spaces, runs of whitespace as one space.

    Examples
    --------
    >>> normalise_header("  Grønn   Omstilling ")
    'grønn omstilling'
    >>> normalise_header("value_creation")
    'value creation'
    >>> normalise_header("\ufeffSo\u0308knadsnr") == normalise_header("Søknadsnr".replace("ø", "ö"))
    True
    """
    return re.sub(r"[\s_\-]+", " ", clean_text(str(name))).strip().lower()


def _listing(columns: Sequence[Hashable]) -> str:
    shown = [str(c) for c in columns]
    if len(shown) > 30:
        shown = [*shown[:30], f"... ({len(columns) - 30} more)"]
    return "[" + ", ".join(repr(c) for c in shown) + "]"


def resolve_columns(
    columns: Sequence[Hashable],
    criteria: Sequence[str],
    mapping: Mapping[str, Hashable],
) -> dict[str, Hashable]:
    """Map every field and criterion to a column of the table (absent optional fields left out).

    Parameters
    ----------
    columns
        The table's columns, as they are.
    criteria
        Criterion names (the keys of ``weights``).
    mapping
        Explicit ``field or criterion -> column`` choices (the keyword arguments).

    Raises
    ------
    InputError
        A mapping names a field that does not exist or a column that is absent, two
        columns could both be a field, or a required field or a criterion has no column.
    """
    names = list(FIELDS) + [c for c in criteria if c not in FIELDS]
    unknown = [k for k in mapping if k not in names]
    if unknown:
        raise InputError(
            f"unknown column keyword {unknown[0]!r}; a keyword names a field {list(FIELDS)} or a criterion "
            f"named in weights {list(criteria)}; correct it, e.g. requested='Søknadsbeløp'",
            column=str(unknown[0]),
        )
    present = {str(c): c for c in columns}
    by_norm: dict[str, list[Hashable]] = {}
    for c in columns:
        by_norm.setdefault(normalise_header(c), []).append(c)
    found: dict[str, Hashable] = {}
    for name in names:
        if name in mapping:
            target = mapping[name]
            if target in columns:
                found[name] = target
            elif str(target) in present:
                found[name] = present[str(target)]
            elif len(same := [c for c in columns if clean_text(str(c)) == clean_text(str(target))]) == 1:
                found[name] = same[0]  # the same header, written with other code points
            else:
                raise InputError(
                    f"column {str(target)!r} (given as {name}={str(target)!r}) is not in the table; "
                    f"the table has columns {_listing(columns)}; correct the keyword {name}=...",
                    column=str(target),
                )
            continue
        if name in present:
            found[name] = present[name]
            continue
        candidates: list[Hashable] = []
        for header in (name, *ALIASES.get(name, ())):
            for c in by_norm.get(normalise_header(header), []):
                if c not in candidates:
                    candidates.append(c)
        if len(candidates) > 1:
            raise InputError(
                f"columns {_listing(candidates)} could each be {name!r}; choose one with {name}={str(candidates[0])!r}",
                column=str(candidates[1]),
            )
        if candidates:
            found[name] = candidates[0]
    used: dict[Hashable, str] = {}
    for name, col in found.items():
        if col in used:
            raise InputError(
                f"column {str(col)!r} is used for both {used[col]!r} and {name!r}; "
                f"map each to its own column, e.g. {name}='<column>'",
                column=str(col),
            )
        used[col] = name
    for name in (*REQUIRED, *criteria):
        if name not in found:
            hint = ALIASES.get(name, ())
            known = f" (recognised headers: {', '.join(repr(h) for h in (name, *hint))})" if hint else ""
            close = difflib.get_close_matches(normalise_header(name), list(by_norm), n=1, cutoff=0.6)
            guess = f" (did you mean {str(by_norm[close[0]][0])!r}?)" if close else ""
            if name in REQUIRED:
                head = f"missing column {name!r} for {_DESCRIBE[name]}{known}"
                fix = f"name the column that holds it with {name}='<column>'"
            else:
                head = f"weights name criterion {name!r}, but the table has no column {name!r}{known}"
                fix = f"map it to its score column with {name}='<column>', or correct the name in weights"
            raise InputError(
                f"{head}; the table has columns {_listing(columns)}{guess}; {fix}",
                column=name,
            )
    return found


def text_columns(headers: Sequence[Hashable]) -> list[Hashable]:
    """The headers of columns to read as text: the id (keeps leading zeros) and the tags."""
    wanted = {normalise_header(h) for f in ("id", "tags") for h in (f, *ALIASES.get(f, ()))}
    return [h for h in headers if normalise_header(h) in wanted]
