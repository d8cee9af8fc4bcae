"""The words of the written report, read from ``resources/report_text.toml`` (lt and en per key).

The file is read once, on first use. A key is the dotted path of a TOML
table that holds one ``lt`` and one ``en`` string; placeholders in braces are
filled with :meth:`str.format`.
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from importlib import resources

from ..errors import NeedsAnalysisError
from ..presentation import check_lang

__all__ = ["report_text", "report_text_keys", "placeholders"]

_FILE = "report_text.toml"


def _flatten(table: dict, prefix: str, out: dict[str, dict[str, str]]) -> None:
    if set(table) == {"lt", "en"} and all(isinstance(v, str) for v in table.values()):
        out[prefix] = dict(table)
        return
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if not isinstance(value, dict):
            raise NeedsAnalysisError(f"entry {name!r} is not a table of lt and en strings",
                                     where=f"resources/{_FILE}", expected='[key] with lt = "..." and en = "..."')
        _flatten(value, name, out)


@cache
def _texts() -> dict[str, dict[str, str]]:
    raw = (resources.files("needs_analysis") / "resources" / _FILE).read_bytes()
    out: dict[str, dict[str, str]] = {}
    _flatten(tomllib.loads(raw.decode("utf-8")), "", out)
    return out


def report_text_keys() -> tuple[str, ...]:
    """Every key of the report text file, in file order."""
    return tuple(_texts())


def placeholders(text: str) -> set[str]:
    """The names of the ``{placeholders}`` in ``text``."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def report_text(key: str, lang: str, **values) -> str:
    """One text of the report in ``lang``, its placeholders filled.

    Parameters
    ----------
    key : str
        Dotted key, e.g. ``"methods.ci_text"``.
    lang : {"lt", "en"}
        Language.
    **values
        Values of the text's placeholders (already formatted as strings).

    Returns
    -------
    str

    Raises
    ------
    NeedsAnalysisError
        Unknown key, or a placeholder without a value.
    """
    check_lang(lang)
    texts = _texts()
    if key not in texts:
        raise NeedsAnalysisError(f"no report text {key!r}", where=f"resources/{_FILE}",
                                 expected="a [key] table with lt and en strings", fix=f"add [{key}] to the file")
    text = texts[key][lang]
    missing = placeholders(text) - set(values)
    if missing:
        raise NeedsAnalysisError(f"report text {key!r} ({lang}) needs {sorted(missing)}", where=f"resources/{_FILE}",
                                 expected="only the placeholders the program fills: " + ", ".join(sorted(values)))
    return text.format(**values)
