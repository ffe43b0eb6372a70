"""``python -m allocator``: the same as the ``allocator`` command."""

import sys

from allocator.cli import main

if __name__ == "__main__":
    sys.exit(main())
