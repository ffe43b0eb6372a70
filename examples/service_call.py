"""A call to the allocator service (``allocator serve``): the problem as JSON, the solution back.

Start the service in one terminal (``pip install 'allocator[server]'``; the virtual
environment active)::

    allocator serve --port 8000

and run, in another::

    python service_call.py http://127.0.0.1:8000

The script builds the problem from ``data/soknader.csv``, sends it as
``POST /v1/solve`` with ``{"problem": ...}`` (standard library only), and prints the
decisions the service answers with, as :class:`allocator.Solution`.
"""

import json
import sys
import urllib.request
from pathlib import Path

import allocator

HERE = Path(__file__).parent


def main(url: str) -> None:
    problem = allocator.Problem.from_frame(
        allocator.read_table(HERE / "data" / "soknader.csv"),
        frame=2_300_000,
        weights={
            "green": 0.30,
            "smart": 0.25,
            "innovation": 0.20,
            "value_creation": 0.15,
            "breadth": 0.10,
        },
        scales=(1, 7),
    )
    body = json.dumps({"problem": problem.model_dump(mode="json"), "lang": "nb"}).encode("utf-8")
    request = urllib.request.Request(
        f"{url.rstrip('/')}/v1/solve",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        solution = allocator.Solution.model_validate_json(answer.read())
    print(solution)
    for d in solution.decisions:
        print(f"{d.id}  {d.granted:>9,}  {d.reason.value}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
