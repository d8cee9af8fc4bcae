"""Test-session settings that must precede every import of the code under test.

openpyxl chooses its XML writer (lxml or the standard library) once, when it is first imported, from the
``OPENPYXL_LXML`` environment variable. The package sets the standard-library writer as the default when it is
imported (``needs_analysis/__init__.py``: the bytes of its workbooks, demo data and questionnaire do not depend on
whether lxml, a dependency of python-docx, is installed); here the same default is set before any test module
imports openpyxl (directly or through pyxform), so a test file run on its own sees the same writer.
"""

import os

os.environ.setdefault("OPENPYXL_LXML", "False")
