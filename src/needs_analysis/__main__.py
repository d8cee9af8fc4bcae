"""``python -m needs_analysis``: the command line, as the ``needs-analysis`` console script."""

from .cli import main

if __name__ == "__main__":  # pragma: no cover - run as a program
    main()
