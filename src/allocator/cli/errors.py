"""Errors on the command line: one line, exit codes, and the fix in the command line's terms.

The library's messages name its keyword arguments (``scales={'green': (1, 7)}``,
``green='Grønn omstilling'``); on the command line the same fix is an option
(``--scale green=1:7``, ``--column green="Grønn omstilling"``). :func:`for_cli` rewrites the
one into the other, so that a user of the command line is never told to write Python.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import NoReturn

__all__ = ["Parser", "UsageError", "for_cli"]


class UsageError(Exception):
    """A malformed command line (exit code 2)."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``allocator: error: ...`` and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _scale(m: re.Match[str]) -> str:
    name, lo, hi = m["name"], m["lo"], m["hi"]
    if lo == "min" and hi == "max":
        return f"--scale {name}=MIN:MAX"
    return f"--scale {name}={lo}:{hi}"


def _weights(m: re.Match[str]) -> str:
    pairs = re.findall(r"'([^']+)':\s*([0-9.]+)", m["body"])
    return " ".join(f"--weight {k}={v}" for k, v in pairs) or "--weight NAME=W"


def _quote(value: str) -> str:
    return f'"{value}"' if re.search(r"[\s'\"]", value) else value


_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"scales=\{'(?P<name>[^']+)':\s*\((?P<lo>[^,()]+),\s*(?P<hi>[^()]+)\)\}"),
        _scale,
    ),
    (
        re.compile(r"scales=\((?P<lo>[^,()]+),\s*(?P<hi>[^()]+)\)"),
        lambda m: f"--scale NAME={m['lo']}:{m['hi']} for each criterion",
    ),
    (
        re.compile(r"thresholds=\{'(?P<name>[^']+)':\s*(?P<v>[^}]+)\}"),
        lambda m: f"--threshold {m['name']}={m['v']}",
    ),
    (
        re.compile(r"weights=\{(?P<body>[^}]*)\}(?:,\s*(?P<name>[a-z_][a-z0-9_]*)='(?P<col>[^']*)')?"),
        lambda m: _weights(m) + (f" --column {m['name']}={_quote(m['col'])}" if m["name"] else ""),
    ),
    (
        re.compile(r"\bframe=(?P<v>[0-9_]+)"),
        lambda m: f"--frame {m['v'].replace('_', '')}",
    ),
    (
        re.compile(r"\bmin_total_score=(?P<v>[^\s,;)]*)"),
        lambda m: f"--min-total-score {m['v'] or 'X'}",
    ),
    (re.compile(r"\bsheet=<name>"), "--sheet NAME"),
    (re.compile(r"\bsheet="), "--sheet "),
    (re.compile(r"pass sep=|, or pass sep="), "check the separator (',' or ';')"),
    (re.compile(r"\btime_limit\b"), "--time-limit"),
    (re.compile(r"\beur_nok\b"), "--eur-nok"),
    (
        re.compile(r"\bkeyword (?P<name>[a-z_][a-z0-9_]*)=\.\.\."),
        lambda m: f"option --column {m['name']}=HEADER",
    ),
    (
        re.compile(r"(?P<name>\b[a-z_][a-z0-9_]*)='<column>'"),
        lambda m: f"--column {m['name']}=HEADER",
    ),
    (
        re.compile(r"(?P<name>\b[a-z_][a-z0-9_]*)='(?P<col>[^']*)'"),
        lambda m: f"--column {m['name']}={_quote(m['col'])}",
    ),
    (re.compile(r"\bcolumn mapping\b"), "--column option"),
]


def for_cli(message: str) -> str:
    """A library message with its keyword arguments replaced by the command line's options.

    Examples
    --------
    >>> for_cli("correct the score, or give the scale with scales={'green': (min, max)}")
    'correct the score, or give the scale with --scale green=MIN:MAX'
    >>> for_cli("map it to its score column with innov='<column>', or correct the name in weights")
    'map it to its score column with --column innov=HEADER, or correct the name in weights'
    >>> for_cli("choose one with green='Grønn omstilling'")
    'choose one with --column green="Grønn omstilling"'
    >>> for_cli("give the frame in whole kroner, e.g. frame=2_300_000")
    'give the frame in whole kroner, e.g. --frame 2300000'
    """
    out = message
    for pattern, repl in _RULES:
        out = pattern.sub(repl, out)
    return out
