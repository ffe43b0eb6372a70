"""Test package. Being a package lets pytest put the repository root on ``sys.path``, so test
modules share helpers with ``from tests.brute import ...`` and ``from tests.conftest import ...``."""
