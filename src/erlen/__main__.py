"""``python -m erlen``: the same as the ``erlen`` command."""

from __future__ import annotations

if __name__ == "__main__":
    # Absolute, so ``python -m flask`` under the compat layer runs this code too.
    from erlen.cli import main

    main()
