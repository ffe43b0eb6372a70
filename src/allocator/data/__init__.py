"""The embedded example: Vestfold og Telemark's 2022 call for business networks and cluster funds.

The call is real: Vestfold og Telemark fylkeskommune, "Utlysning bedriftsnettverk og
klyngemidler VTFK 2022 - runde 2", a frame of 2 300 000 kr, deadline 16 September 2022,
for clusters in process industry and suppliers, water technology, micro- and
nanotechnology and IT, and for business networks.

**The applications are illustrative.** They were written for this example: every
applicant ("Eksempel ... AS"), title, amount and score is fictitious. They are shaped like
a real round: 26 applications from both Vestfold and Telemark, requests of 80 000 -
400 000 kr that together ask for about twice the frame, minimum viable amounts for most,
a project cost at least twice the request for most (a few ask for more than half their
cost), scores on 1-7 scales for five criteria. Ranking by weighted score and funding down
the list takes the large, top-ranked application first; the optimal portfolio leaves it out,
funds two more instead and is worth a few percent more (see ``allocator demo``).

The table (``EXAMPLE_CSV``) has the Norwegian headers an adviser's spreadsheet would have:
Søknadsnr, Tittel, Søker, Kategori, Fylkesdel, Søknadsbeløp, Minimumsbeløp,
Prosjektkostnad, Annen offentlig støtte, Grønn omstilling, Smart spesialisering,
Innovasjon, Verdiskaping, Aktørbredde, Stikkord.

Examples
--------
>>> from allocator.data import load_example
>>> p = load_example()
>>> p.frame, len(p.applications), p.total_requested
(2300000, 26, 4705000)
"""

from __future__ import annotations

import json
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from allocator.io.policy import Policy, load_policy
from allocator.model import Application, Criterion, Problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "EXAMPLE_CSV",
    "EXAMPLE_METADATA",
    "EXAMPLE_POLICY",
    "example_frame",
    "example_metadata",
    "load_example",
    "load_example_policy",
    "small_example",
]

_DATA = files(__name__)


def _path(name: str) -> Path:
    with as_file(_DATA.joinpath(name)) as p:  # a real file for an installed wheel or a source tree
        return Path(p)


EXAMPLE_CSV: Path = _path("vtfk_2022_round2.csv")
"""Path of the example's table (illustrative applications, Norwegian headers, ',' separated, UTF-8)."""

EXAMPLE_METADATA: Path = _path("vtfk_2022_round2.json")
"""Path of the example's metadata: frame, weights, scale, labels, column mapping, source."""


EXAMPLE_POLICY: Path = _path("vtfk_2022_round2.toml")
"""Path of the example's policy file (TOML): frame, weights, options and the call's rules.

Its de minimis ledger (``vtfk_2022_round2_de_minimis.csv``, beside it) is illustrative."""


def example_metadata() -> dict[str, Any]:
    """The call's metadata: name, frame, weights, scale, English labels, column mapping.

    The metadata says ``"illustrative": true``: the applications are written for the example.
    """
    data: dict[str, Any] = json.loads(EXAMPLE_METADATA.read_text(encoding="utf-8"))
    return data


def example_frame() -> pd.DataFrame:
    """The example's raw table (illustrative applications), as read from ``EXAMPLE_CSV``.

    Returns
    -------
    pandas.DataFrame
        One row per application, the Norwegian headers unchanged; ids and texts as strings,
        amounts as integers (an empty ``Minimumsbeløp`` is missing).
    """
    import pandas as pd

    return pd.read_csv(EXAMPLE_CSV, dtype={"Søknadsnr": str, "Stikkord": str}, encoding="utf-8")


def small_example() -> Problem:
    """Three applications and a frame of 100: the small call of the documentation's examples.

    A asks for 60 and scores 9 of 10, B for 50 and scores 6, C for 50 and scores 5 (one
    criterion ``g``, weight 1). Ranking by score funds A alone (worth 0.9); the optimum
    funds B and C (worth 1.1).

    Examples
    --------
    >>> p = small_example()
    >>> [(a.id, a.requested, a.scores["g"]) for a in p.applications], p.frame
    ([('A', 60, 9.0), ('B', 50, 6.0), ('C', 50, 5.0)], 100)
    """
    return Problem(
        frame=100,
        criteria=(Criterion(name="g", weight=1, scale_max=10),),
        applications=(
            Application(id="A", requested=60, scores={"g": 9}),
            Application(id="B", requested=50, scores={"g": 6}),
            Application(id="C", requested=50, scores={"g": 5}),
        ),
    )


def load_example() -> Problem:
    """The example call as a :class:`~allocator.model.problem.Problem` (illustrative applications).

    Frame 2 300 000 kr; weights green transition 0.30, smart specialisation 0.25,
    innovation 0.20, value creation 0.15, breadth of actor groups 0.10; every criterion on
    a 1-7 scale; binary funding (use ``problem.with_options(partial=True)`` for partial).
    The applications are fictitious, written for this example.

    Examples
    --------
    >>> import allocator
    >>> from allocator.data import load_example
    >>> p = load_example()
    >>> p.name
    'VTFK 2022 round 2: business networks and cluster funds (illustrative)'
    >>> sorted(p.weights.items())[:2]
    [('breadth', 0.1), ('green', 0.3)]
    """

    meta = example_metadata()
    lo, hi = meta["scale"]
    return Problem.from_frame(
        example_frame(),
        frame=meta["frame"],
        weights=meta["weights"],
        scales={k: (lo, hi) for k in meta["weights"]},
        labels=meta["labels"],
        labels_nb=meta.get("labels_nb"),
        name=meta["name"],
        currency=meta["currency"],
        **meta["columns"],
    )


def load_example_policy() -> Policy:
    """The example call's policy: partial funding in steps of 10 000 kr and the rules such a
    county call really has (50 % co-financing counting other public funding, de minimis with
    an illustrative ledger, at least one business network, at least one project and at most
    40 % of the frame per cluster theme, clusters at most 1.5 MNOK, at least 30 % of the
    frame to each part of the county, at most 350 000 kr per application).

    Examples
    --------
    >>> from allocator import solve
    >>> from allocator.data import load_example, load_example_policy
    >>> problem = load_example_policy().apply(load_example())
    >>> solution = solve(problem)
    >>> from allocator import check
    >>> check(problem, solution).ok, len(solution.binding_rules) > 0
    (True, True)
    """

    return load_policy(EXAMPLE_POLICY)
