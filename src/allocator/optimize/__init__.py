"""From a problem to a proven optimum: the formulation (numpy arrays), the solver backends,
the solve with its exact tie-break, and the diagnosis of infeasible rules."""

from allocator.optimize.backends import Backend, RawResult, make_backend
from allocator.optimize.formulation import Formulation, build
from allocator.optimize.solve import solve

__all__ = ["Backend", "Formulation", "RawResult", "build", "make_backend", "solve"]
