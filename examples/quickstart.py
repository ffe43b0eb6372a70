"""Quickstart: a table of applications as Norwegian Excel saves it, solved and reported.

Run from this folder, with the virtual environment active::

    python quickstart.py

Reads ``data/soknader.csv`` (';'-separated, decimal comma, Windows-1252: what Excel writes
in Norway), finds the best portfolio within the frame, compares it with ranking by score and
funding down the list, and writes the meeting workbook ``vedtak.xlsx`` in Norwegian.
The applications are fictitious, derived from allocator's embedded example.
"""

from pathlib import Path

import allocator

HERE = Path(__file__).parent

df = allocator.read_table(HERE / "data" / "soknader.csv")  # the headers are recognised: Søknadsnr, Søknadsbeløp ...
problem = allocator.Problem.from_frame(
    df,
    frame=2_300_000,
    weights={
        "green": 0.30,
        "smart": 0.25,
        "innovation": 0.20,
        "value_creation": 0.15,
        "breadth": 0.10,
    },
    scales=(1, 7),  # the scale the panel scored on
    name="VTFK 2022 runde 2 (illustrativt)",
)
solution = allocator.solve(problem)
print(solution)
print(solution.to_frame()[["id", "granted", "score", "rank", "reason"]].to_string(index=False))
print()
print(allocator.compare(solution, allocator.rank_and_fund(problem)))

out = allocator.write_report(solution, "vedtak.xlsx", problem=problem, lang="nb")
print(f"\nskrev {out.resolve()}")
