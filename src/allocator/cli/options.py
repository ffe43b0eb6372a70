"""The options of the command line: argument types and the options every subcommand shares.

Amounts accept what people type ("2 300 000", "2_300_000", "2.3e6"); ``NAME=VALUE`` pairs
say what they expect when they are malformed.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from allocator.model.amounts import CellError, parse_amount

__all__ = ["add_common", "amount", "out_help", "pair", "positive", "scale"]


def amount(text: str) -> int:
    """Whole kroner by the one grammar of every amount: '2300000', '2 300 000', 'kr 2.300.000', '2_300_000', '2.3e6'."""
    try:
        value = parse_amount(text)
    except CellError as exc:
        fix = "" if "write" in str(exc) else "; give whole kroner, e.g. 2300000 or '2 300 000'"
        raise argparse.ArgumentTypeError(f"{text!r} {exc}{fix}") from None
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount; give whole kroner, e.g. 2300000")
    return value


def pair(kind: str, convert: Callable[[str], Any], example: str) -> Callable[[str], tuple[str, Any]]:
    def parse(text: str) -> tuple[str, Any]:
        name, sep, value = text.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise argparse.ArgumentTypeError(f"{kind} {text!r} must look like {example}")
        try:
            return name.strip(), convert(value.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{kind} {text!r}: {value.strip()!r} is not valid; write it like {example}"
            ) from None

    return parse


def scale(text: str) -> tuple[float, float]:
    """'1:7' (min and max) or '7' (max; min 0)."""
    lo, sep, hi = text.partition(":")
    return (float(lo), float(hi)) if sep else (0.0, float(lo))


def positive(text: str) -> float:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


# ----------------------------------------------------------------- parsers
def add_common(common: argparse.ArgumentParser) -> None:
    """The options every subcommand shares."""
    common.add_argument(
        "--partial",
        action="store_true",
        help="allow partial funding (between each minimum and the request)",
    )
    common.add_argument(
        "--step",
        type=amount,
        metavar="KR",
        help="granularity of partial grants in kroner (default 10000)",
    )
    common.add_argument(
        "--solver",
        default="highs",
        choices=("highs", "cbc", "pulp-highs"),
        help="MIP solver: HiGHS in-process (default), CBC through PuLP, or HiGHS through PuLP",
    )
    common.add_argument(
        "--time-limit",
        type=positive,
        metavar="S",
        help="seconds; on time-out the best portfolio found is reported with its gap",
    )
    common.add_argument(
        "--explain",
        action="store_true",
        help="say why each application was or was not funded, and by how much (printed, and a sheet of the .xlsx report)",
    )
    common.add_argument(
        "--lang",
        choices=("en", "nb"),
        default="en",
        help="language of everything shown and written: en (English, default) or nb (Norwegian Bokmål)",
    )
    common.add_argument(
        "--eur-nok",
        type=positive,
        metavar="RATE",
        help="kroner per euro for the state-aid register flag (grants of EUR 100 000 or more); "
        "default: the rate of the call's de minimis rule",
    )
    common.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="print only the summary, not the decision table",
    )
    common.add_argument("--debug", action="store_true", help="show a traceback on unexpected errors")


def out_help(default: str | None) -> str:
    d = f" (default {default})" if default else ""
    return f"where to write: .xlsx (the report workbook), .csv or .json (the decisions), or - for JSON on stdout{d}"
