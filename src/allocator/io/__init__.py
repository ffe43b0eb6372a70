"""Files in and out: tables (CSV, Excel, JSON), Pabulib ``.pb`` files and TOML policy files."""

from allocator.io.pabulib import read_pabulib
from allocator.io.policy import Policy, load_policy, parse_policy
from allocator.io.tables import read_problem, read_table, write_decisions

__all__ = ["Policy", "load_policy", "parse_policy", "read_pabulib", "read_problem", "read_table", "write_decisions"]
