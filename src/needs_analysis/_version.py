"""The package version, in the core layer.

Modules that record it (the pack manifest, the report footer, the run
parameters) import it from here, not from the package root, so that no module
depends on ``needs_analysis/__init__.py``. Keep it equal to
``[project] version`` in ``pyproject.toml`` (``tests/test_architecture.py``
checks).
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
