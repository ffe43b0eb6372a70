"""A weight sweep on a local Dask cluster: how often is each application funded when the
weights move around the call's own?

Run from this folder, with the virtual environment active (and dask installed:
``pip install 'allocator[dask]'``)::

    python weight_sweep_dask.py [N]

Draws N weight vectors (default 40) uniformly around the call's weights, solves every one on
two local Dask worker processes (one thread each: every worker keeps one loaded model), and
prints, per application, the share of the scenarios that fund it: 100 % is funded whatever
the weights, 0 % never.
"""

import sys
from pathlib import Path

import allocator
from allocator.scenarios import weight_samples

HERE = Path(__file__).parent


def main(n: int) -> None:
    from dask.distributed import Client, LocalCluster

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
    scenarios = weight_samples(problem, n, seed=1)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        workers = len(client.scheduler_info()["workers"])
        results = allocator.run_scenarios(problem, scenarios, executor=client.get_executor(), progress=False)
    share = results.funding_share()
    print(f"{len(results)} scenarios on {workers} Dask workers")
    print(share.to_string())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
