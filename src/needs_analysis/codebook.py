"""The questionnaire model (codebook) read from the XLSForm.

The XLSForm (sheets ``survey``, ``choices``, ``settings``; labels in
Lithuanian, English, Russian and Ukrainian) is the single source of truth for
variable names, types, choice codes, labels, missing-answer codes, skip logic
(``relevant``) and validation rules (``constraint``). Every other module asks
the :class:`Codebook` instead of hard-coding them.

Examples
--------
>>> from needs_analysis.codebook import load_codebook
>>> cb = load_codebook()
>>> cb.to_code("sex", "  Moteris ")
'female'
>>> cb.multiple_columns("top_needs")[:2]
['top_needs/language', 'top_needs/work']
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import pandas as pd

from . import _xlsform_expr as xexpr
from .config import LANGS, questionnaire_path
from .errors import NeedsAnalysisError

__all__ = ["Codebook", "Variable", "load_codebook", "normalise_text", "MISSING_CODES"]

#: Choice names that mean "no substantive answer"; they become NaN in analysis.
MISSING_CODES: frozenset[str] = frozenset({"dont_know", "refused"})

#: Survey row types that are metadata, not questions (exported as meta columns).
META_TYPES = frozenset(
    {"start", "end", "today", "deviceid", "simserial", "subscriberid", "phonenumber", "username", "audit"}
)
_GROUP_BEGIN = {"begin_group", "begin group", "begin_repeat", "begin repeat"}
_GROUP_END = {"end_group", "end group", "end_repeat", "end repeat"}
_REQUIRED_SURVEY = ("type", "name")
_REQUIRED_CHOICES = ("list_name", "name")
_APOSTROPHES = dict.fromkeys(map(ord, "\u2019\u2018\u02bc\u0060\u00b4\u2032"), "'")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")
_QUOTES = dict.fromkeys(map(ord, "\u201c\u201d\u201e\u00ab\u00bb"), '"')


def normalise_text(text: object) -> str:
    """Normalise an answer or label for matching.

    Parameters
    ----------
    text : object
        Any value; ``None``/NaN give ``""``; other non-strings are converted
        with ``str``.

    Returns
    -------
    str
        Unicode NFC form, case-folded, with typographic apostrophes, dashes and
        quotes replaced by their ASCII forms, leading/trailing whitespace
        removed and internal whitespace (including non-breaking spaces)
        collapsed to one space.

    Notes
    -----
    NFC composition makes decomposed input (``"s" + U+030C``) equal to the
    precomposed letter (``"š"``), so labels typed on different keyboards or
    exported by different tools still match.
    """
    if text is None:
        return ""
    if isinstance(text, float) and text != text:
        return ""
    s = unicodedata.normalize("NFC", str(text))
    s = unicodedata.normalize("NFC", s.casefold())
    s = s.translate(_APOSTROPHES).translate(_DASHES).translate(_QUOTES)
    return " ".join(s.split())


@dataclass(frozen=True)
class Variable:
    """One question (or note) of the questionnaire.

    Parameters
    ----------
    name : str
        Column name in the data (no group prefix).
    type : str
        ``select_one``, ``select_multiple``, ``integer``, ``decimal``, ``text``,
        ``date``, ``note``, ...
    list_name : str or None
        Choice list of a select question.
    group : str or None
        Innermost enclosing group.
    relevant : str
        The question's own ``relevant`` expression (``""`` = always asked
        when its groups are).
    required : bool
        Whether the form requires an answer.
    constraint : str
        ``constraint`` expression (``""`` = none).
    labels : mapping of str to str
        Question label per language code.
    groups : tuple of str
        Enclosing groups, outermost first.
    group_relevant : tuple of str
        ``relevant`` expressions of the enclosing groups, outermost first
        (``""`` for groups without one).
    constraint_message : str
        English message shown when the constraint fails (the
        ``constraint_message::English (en)`` column, else a plain
        ``constraint_message`` column).
    appearance : str
        XLSForm ``appearance``.
    hints : mapping of str to str
        Hint per language code (may be empty strings).
    constraint_messages : mapping of str to str
        Constraint message per language code, for the languages the form
        has a ``constraint_message::Language (xx)`` column for (may be empty
        strings).
    """

    name: str
    type: str
    list_name: str | None
    group: str | None
    relevant: str
    required: bool
    constraint: str
    labels: Mapping[str, str] = field(hash=False)
    groups: tuple[str, ...] = ()
    group_relevant: tuple[str, ...] = ()
    constraint_message: str = ""
    appearance: str = ""
    hints: Mapping[str, str] = field(default_factory=dict, hash=False)
    constraint_messages: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def is_select(self) -> bool:
        """True for select_one and select_multiple questions."""
        return self.type in ("select_one", "select_multiple")

    def relevance_chain(self) -> tuple[str, ...]:
        """Non-empty relevance expressions that must all hold: groups first, then own."""
        return tuple(e for e in (*self.group_relevant, self.relevant) if e)


def _lang_columns(columns: list[str], prefix: str, sheet: str, where: str, required: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for lang in LANGS:
        pat = re.compile(rf"^{prefix}::.*\({lang}\)\s*$", re.IGNORECASE)
        found = [c for c in columns if pat.match(c.strip())]
        if found:
            out[lang] = found[0]
        elif required:
            raise NeedsAnalysisError(
                f"sheet '{sheet}' has no {prefix} column for language '{lang}'",
                where=where,
                expected=f"a column like '{prefix}::Language name ({lang})' for each of {', '.join(LANGS)}",
                fix="add the missing translation column to the questionnaire",
            )
    return out


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.columns = [str(c).strip() for c in df.columns]
    for c in df.columns:
        df[c] = df[c].map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v).strip())
    return df


def _truthy(value: str) -> bool:
    return normalise_text(value) in {"yes", "true", "true()", "1"}


class Codebook:
    """The questionnaire as a queryable object.

    Build it with :func:`load_codebook`. All returned DataFrames and dicts are
    new objects; changing them does not change the codebook.

    Parameters
    ----------
    survey, choices : pandas.DataFrame
        The XLSForm sheets with string cells (blank = ``""``).
    settings : pandas.DataFrame or None
        The XLSForm ``settings`` sheet.
    source : str
        Where the form was read from (used in error messages).
    """

    def __init__(self, survey: pd.DataFrame, choices: pd.DataFrame, settings: pd.DataFrame | None,
                 source: str = "questionnaire") -> None:
        self._source = source
        survey, choices = _clean(survey), _clean(choices)
        for sheet, df, req in (("survey", survey, _REQUIRED_SURVEY), ("choices", choices, _REQUIRED_CHOICES)):
            missing = [c for c in req if c not in df.columns]
            if missing:
                raise NeedsAnalysisError(
                    f"sheet '{sheet}' has no column {missing[0]!r}",
                    where=source,
                    expected=f"columns {', '.join(req)} in sheet '{sheet}'",
                    fix="use an XLSForm questionnaire (KoboToolbox/ODK layout)",
                )
        self._label_cols = _lang_columns(list(survey.columns), "label", "survey", source, True)
        choice_labels = _lang_columns(list(choices.columns), "label", "choices", source, True)
        text_cols = {kind: _lang_columns(list(survey.columns), kind, "survey", source, False)
                     for kind in ("hint", "constraint_message")}
        self._settings = {} if settings is None or settings.empty else dict(_clean(settings).iloc[0])
        self._choices = self._build_choices(choices, choice_labels)
        self._vars, self._groups, self._meta = self._build_variables(survey, text_cols)
        self._lookup_cache: dict[str, dict[str, str]] = {}

    # ------------------------------------------------------------------ building
    def _build_choices(self, choices: pd.DataFrame, label_cols: dict[str, str]) -> dict[str, pd.DataFrame]:
        out: dict[str, pd.DataFrame] = {}
        choices = choices[choices["list_name"] != ""]
        for list_name, sub in choices.groupby("list_name", sort=False):
            frame = pd.DataFrame({"name": sub["name"].to_list()})
            for lang in LANGS:
                frame[f"label_{lang}"] = sub[label_cols[lang]].to_list()
            frame["is_missing"] = frame["name"].isin(MISSING_CODES)
            if frame["name"].duplicated().any():
                dup = frame.loc[frame["name"].duplicated(), "name"].iloc[0]
                raise NeedsAnalysisError(
                    f"choice list {list_name!r} has the choice {dup!r} twice",
                    where=f"{self._source}, sheet 'choices'",
                    expected="unique choice names within a list",
                    fix="remove or rename the duplicate choice",
                )
            out[str(list_name)] = frame
        return out

    def _build_variables(self, survey: pd.DataFrame, text_cols: dict[str, dict[str, str]]):
        variables: dict[str, Variable] = {}
        groups: list[dict[str, str]] = []
        meta: list[str] = []
        stack: list[tuple[str, str]] = []
        get = lambda row, col: row.get(col, "")  # noqa: E731
        for i, row in enumerate(survey.to_dict("records"), start=2):
            raw_type = " ".join(row["type"].split())
            name = row["name"]
            if not raw_type:
                continue
            kind = raw_type.split(" ")[0]
            where = f"{self._source}, sheet 'survey', row {i}"
            if raw_type.lower() in _GROUP_BEGIN:
                stack.append((name, get(row, "relevant")))
                groups.append({"name": name, "parent": stack[-2][0] if len(stack) > 1 else "",
                               "relevant": get(row, "relevant"), "repeat": "repeat" in raw_type.lower(),
                               **{f"label_{lang}": row[c] for lang, c in self._label_cols.items()}})
                continue
            if raw_type.lower() in _GROUP_END:
                if not stack:
                    raise NeedsAnalysisError("end_group without a matching begin_group", where=where,
                                             fix="balance begin_group/end_group rows")
                stack.pop()
                continue
            if not name:
                raise NeedsAnalysisError(f"a {raw_type!r} row has no name", where=where,
                                         expected="a name for every question", fix="fill in the name column")
            if kind in META_TYPES:
                meta.append(name)
                continue
            list_name = None
            if kind in ("select_one", "select_multiple"):
                parts = raw_type.split(" ")
                if len(parts) < 2 or parts[1] not in self._choices:
                    raise NeedsAnalysisError(
                        f"question {name!r} uses the choice list {parts[1] if len(parts) > 1 else ''!r} "
                        "which the choices sheet does not define",
                        where=where, expected="a list_name present in the choices sheet",
                        fix="add the list to the choices sheet or correct the type")
                list_name = parts[1]
            messages = {lang: row[c] for lang, c in text_cols["constraint_message"].items()}
            if name in variables:
                raise NeedsAnalysisError(f"the name {name!r} is used twice", where=where,
                                         expected="unique question names", fix="rename one of the questions")
            variables[name] = Variable(
                name=name, type=kind, list_name=list_name,
                group=stack[-1][0] if stack else None,
                relevant=get(row, "relevant"), required=_truthy(get(row, "required")),
                constraint=get(row, "constraint"),
                labels=MappingProxyType({lang: row[c] for lang, c in self._label_cols.items()}),
                groups=tuple(g for g, _ in stack), group_relevant=tuple(r for _, r in stack),
                constraint_message=messages.get("en") or get(row, "constraint_message"),
                appearance=get(row, "appearance"),
                hints=MappingProxyType({lang: row[c] for lang, c in text_cols["hint"].items()}),
                constraint_messages=MappingProxyType(messages),
            )
        if stack:
            raise NeedsAnalysisError(f"group {stack[-1][0]!r} is never closed", where=f"{self._source}, sheet 'survey'",
                                     fix="add the matching end_group row")
        return variables, groups, tuple(meta)

    # ------------------------------------------------------------------ metadata
    def __repr__(self) -> str:
        return f"Codebook(version={self.version!r}, questions={len(self.names)}, source={self._source!r})"

    @property
    def version(self) -> str | None:
        """Form version from the settings sheet (e.g. ``"2021.1"``)."""
        return self._settings.get("version") or None

    @property
    def form_id(self) -> str | None:
        """``form_id`` from the settings sheet."""
        return self._settings.get("form_id") or None

    @property
    def title(self) -> str | None:
        """``form_title`` from the settings sheet."""
        return self._settings.get("form_title") or None

    @property
    def languages(self) -> tuple[str, ...]:
        """Language codes of the label columns, e.g. ``("lt", "en", "ru", "uk")``."""
        return tuple(self._label_cols)

    @property
    def language_columns(self) -> dict[str, str]:
        """Label column per language, e.g. ``{"lt": "label::Lietuvių (lt)", ...}``."""
        return dict(self._label_cols)

    @property
    def export_language_names(self) -> dict[str, str]:
        """Language names as written in an export's ``language`` column."""
        return {lang: col.split("::", 1)[1].strip() for lang, col in self._label_cols.items()}

    def language_code(self, value: object) -> str | None:
        """Language code for an export ``language`` value ("English (en)", "en", "English"), else None."""
        key = normalise_text(value)
        for lang, name in self.export_language_names.items():
            if key in (lang, normalise_text(name), normalise_text(name.split("(")[0])):
                return lang
        return None

    @property
    def missing_codes(self) -> frozenset[str]:
        """Choice names that are missing-answer codes (``dont_know``, ``refused``)."""
        return MISSING_CODES

    @property
    def meta_names(self) -> tuple[str, ...]:
        """Names of metadata rows (``start``, ``end``, ...), not counted as questions."""
        return self._meta

    @property
    def names(self) -> tuple[str, ...]:
        """Question names in form order (no groups, notes or metadata)."""
        return tuple(n for n, v in self._vars.items() if v.type != "note")

    @property
    def variables(self) -> pd.DataFrame:
        """One row per question or note (groups and metadata excluded), in form order.

        Columns ``name, type, list_name, group, relevant, required, constraint,
        label_lt, label_en, label_ru, label_uk``; blank text cells are ``""``.
        """
        rows = []
        for v in self._vars.values():
            rows.append({"name": v.name, "type": v.type, "list_name": v.list_name or "", "group": v.group or "",
                         "relevant": v.relevant, "required": v.required, "constraint": v.constraint,
                         **{f"label_{lang}": v.labels.get(lang, "") for lang in LANGS}})
        return pd.DataFrame(rows)

    @property
    def groups(self) -> pd.DataFrame:
        """One row per group: ``name, parent, relevant, repeat, label_lt, label_en, label_ru, label_uk``.

        ``repeat`` is True for a ``begin_repeat`` group (answered once per repeat, exported by KoboToolbox
        to a sheet of its own).
        """
        return pd.DataFrame(self._groups)

    @property
    def repeats(self) -> dict[str, tuple[str, ...]]:
        """Repeat groups: name -> the questions inside (nested repeats' questions included), in form order."""
        return {g["name"]: tuple(n for n in self.names if g["name"] in self._vars[n].groups)
                for g in self._groups if g["repeat"]}

    @property
    def list_names(self) -> tuple[str, ...]:
        """Names of all choice lists."""
        return tuple(self._choices)

    def __contains__(self, name: object) -> bool:
        return name in self._vars

    def variable(self, name: str) -> Variable:
        """The :class:`Variable` called ``name``.

        Raises
        ------
        NeedsAnalysisError
            If the questionnaire has no such question.
        """
        try:
            return self._vars[name]
        except (KeyError, TypeError):
            close = [n for n in self._vars if normalise_text(n) == normalise_text(name)]
            hint = f"did you mean {close[0]!r}?" if close else "see Codebook.names for the valid names"
            raise NeedsAnalysisError(f"unknown variable {name!r}", where=self._source,
                                     expected="a question name from the questionnaire", fix=hint) from None

    def label(self, name: str, lang: str = "lt") -> str:
        """Question label of ``name`` in ``lang``."""
        return self.variable(name).labels[self._check_lang(lang)]

    def _check_lang(self, lang: str) -> str:
        if lang not in self._label_cols:
            raise NeedsAnalysisError(f"unknown language {lang!r}", expected=f"one of {', '.join(self.languages)}",
                                     fix="pass lang='lt', 'en', 'ru' or 'uk'", exit_code=2)
        return lang

    # ------------------------------------------------------------------ choices
    def _list_of(self, name: str) -> str:
        var = self.variable(name)
        if var.list_name is None:
            raise NeedsAnalysisError(f"variable {name!r} is a {var.type} question and has no choices",
                                     where=self._source, expected="a select_one or select_multiple question")
        return var.list_name

    def choice_list(self, list_name: str) -> pd.DataFrame:
        """Choices of the list ``list_name``: ``name, label_lt, label_en, label_ru, label_uk, is_missing``."""
        try:
            return self._choices[list_name].copy()
        except KeyError:
            raise NeedsAnalysisError(f"unknown choice list {list_name!r}", where=self._source,
                                     expected=f"one of {', '.join(self._choices)}") from None

    def choices(self, name: str) -> pd.DataFrame:
        """Choices of the select question ``name`` (see :meth:`choice_list`)."""
        return self.choice_list(self._list_of(name))

    def codes(self, name: str) -> tuple[str, ...]:
        """Choice names of ``name`` in form order, missing codes included."""
        return tuple(self._choices[self._list_of(name)]["name"])

    def substantive_codes(self, name: str) -> tuple[str, ...]:
        """Choice names of ``name`` without the missing codes."""
        return tuple(c for c in self.codes(name) if c not in MISSING_CODES)

    def choice_label(self, name: str, code: str, lang: str = "lt") -> str:
        """Label of choice ``code`` of question ``name`` in ``lang``."""
        frame = self._choices[self._list_of(name)]
        hit = frame.loc[frame["name"] == code, f"label_{self._check_lang(lang)}"]
        if hit.empty:
            raise NeedsAnalysisError(f"{code!r} is not a choice of {name!r}", where=self._source,
                                     expected=f"one of {', '.join(frame['name'])}")
        return str(hit.iloc[0])

    def _table(self, list_name: str) -> dict[str, str]:
        table = self._lookup_cache.get(list_name)
        if table is None:
            table = {}
            for rec in self._choices[list_name].to_dict("records"):
                for key in (rec["name"], *(rec[f"label_{lang}"] for lang in LANGS)):
                    k = normalise_text(key)
                    if k:
                        table.setdefault(k, rec["name"])
            self._lookup_cache[list_name] = table
        return table

    def lookup(self, name: str) -> dict[str, str]:
        """Map normalised text to choice code for question ``name``.

        Keys are the normalised (:func:`normalise_text`) labels in every
        language and the normalised codes themselves. The dict is a copy.
        """
        return dict(self._table(self._list_of(name)))

    def to_code(self, name: str, text: object) -> str | None:
        """Choice code for an answer given as a label (any language) or a code; None if no match."""
        return self._table(self._list_of(name)).get(normalise_text(text))

    def to_codes(self, name: str, text: object) -> tuple[str, ...] | None:
        """Codes of a select_multiple answer.

        Accepts one label or code, or space-separated codes (Kobo's default
        export). Returns ``()`` for a blank answer and None if any part is
        not recognised.
        """
        key = normalise_text(text)
        if not key:
            return ()
        single = self.to_code(name, key)
        if single is not None:
            return (single,)
        codes = {normalise_text(c): c for c in self.codes(name)}
        out = [codes.get(tok) for tok in key.split(" ")]
        if any(c is None for c in out):
            return None
        return tuple(out)  # type: ignore[arg-type]

    def multiple_columns(self, name: str) -> list[str]:
        """The 0/1 export columns ``name/code`` of a select_multiple question."""
        var = self.variable(name)
        if var.type != "select_multiple":
            raise NeedsAnalysisError(f"variable {name!r} is {var.type}, not select_multiple", where=self._source,
                                     expected="a select_multiple question")
        return [f"{name}/{c}" for c in self.codes(name)]

    # ------------------------------------------------------------------ logic
    def _column(self, df: pd.DataFrame, ref: str, where: str) -> pd.Series:
        if ref in df.columns:
            return df[ref]
        var = self._vars.get(ref)
        if var is not None and var.type == "select_multiple":
            cols = [c for c in self.multiple_columns(ref) if c in df.columns]
            if cols:
                flags = pd.DataFrame({c: pd.to_numeric(df[c], errors="coerce") for c in cols}, index=df.index)
                joined = pd.Series("", index=df.index, dtype=object)
                for c in cols:
                    joined = joined + (flags[c] == 1).map({True: c.split("/", 1)[1] + " ", False: ""})
                joined = joined.str.strip()
                return joined.where(flags.notna().any(axis=1)).astype(object)
        raise NeedsAnalysisError(f"the data have no column {ref!r}", where=where,
                                 expected=f"a column {ref!r} holding answer codes",
                                 fix="pass a DataFrame with every question the expression refers to")

    def relevant_mask(self, df: pd.DataFrame, name: str, *, cascade: bool = True) -> pd.Series:
        """Whether question ``name`` was asked, row by row.

        Parameters
        ----------
        df : pandas.DataFrame
            Responses holding codes: select_one as code strings,
            select_multiple as space-separated codes (or the ``name/code`` 0/1
            columns), numbers as numbers, NaN for blanks.
        name : str
            Question name.
        cascade : bool, default True
            Blank the answers of questions that were not asked before using
            them in an expression (what the form does at data entry), so
            stray values in non-asked questions cannot open later ones.

        Returns
        -------
        pandas.Series of bool
            True where the question's own ``relevant`` and that of every
            enclosing group hold.
        """
        memo: dict[str, pd.Series] = {}
        return self._mask(df, name, cascade, memo, ()).copy()

    def _mask(self, df: pd.DataFrame, name: str, cascade: bool, memo: dict[str, pd.Series],
              path: tuple[str, ...]) -> pd.Series:
        if name in memo:
            return memo[name]
        if name in path:
            raise NeedsAnalysisError(f"relevance of {name!r} depends on itself ({' -> '.join((*path, name))})",
                                     where=self._source, fix="remove the circular reference")
        var = self.variable(name)
        where = f"relevant of {name!r}"

        def resolve(ref: str) -> pd.Series:
            col = self._column(df, ref, where)
            if cascade and ref in self._vars:
                asked = self._mask(df, ref, cascade, memo, (*path, name))
                col = col.where(asked)
            return col

        mask = pd.Series(True, index=df.index, dtype=bool)
        for expr in var.relevance_chain():
            mask &= xexpr.evaluate(expr, df.index, resolve, where=where)
        memo[name] = mask
        return mask

    def check_constraint(self, df: pd.DataFrame, name: str) -> pd.Series:
        """Whether each answer of ``name`` satisfies its ``constraint``.

        Returns
        -------
        pandas.Series of bool
            True where the constraint holds, the answer is blank, or the
            question has no constraint.
        """
        var = self.variable(name)
        where = f"constraint of {name!r}"
        if not var.constraint:
            return pd.Series(True, index=df.index, dtype=bool)
        current = self._column(df, name, where)
        blank = current.isna() | xexpr.map_values(current.astype(object),
                                                  lambda v: isinstance(v, str) and not v.strip())
        ok = xexpr.evaluate(var.constraint, df.index, lambda ref: self._column(df, ref, where),
                            current=current, where=where)
        return (ok | blank).astype(bool)

    def relevance_table(self, df: pd.DataFrame, names: list[str] | tuple[str, ...] | None = None, *,
                        cascade: bool = True) -> pd.DataFrame:
        """:meth:`relevant_mask` for many questions at once (shared work).

        Parameters
        ----------
        df : pandas.DataFrame
            Responses holding codes (see :meth:`relevant_mask`).
        names : sequence of str, optional
            Questions to evaluate; default every question whose relevance
            can be evaluated on ``df`` (all referenced columns present).
        cascade : bool, default True
            See :meth:`relevant_mask`.

        Returns
        -------
        pandas.DataFrame
            Boolean, one column per question, index of ``df``.
        """
        memo: dict[str, pd.Series] = {}
        explicit = names is not None
        out: dict[str, pd.Series] = {}
        for name in (names if explicit else self.names):
            try:
                out[name] = self._mask(df, name, cascade, memo, ())
            except NeedsAnalysisError:
                if explicit:
                    raise
        return pd.DataFrame(out, index=df.index)

    def constraint_table(self, df: pd.DataFrame) -> pd.DataFrame:
        """:meth:`check_constraint` for every constrained question present in ``df``.

        Returns
        -------
        pandas.DataFrame
            Boolean, one column per constrained question (True = satisfied or blank).
        """
        out = {v.name: self.check_constraint(df, v.name) for v in self._vars.values()
               if v.constraint and (v.name in df.columns or
                                    (v.type == "select_multiple" and
                                     any(c in df.columns for c in self.multiple_columns(v.name))))}
        return pd.DataFrame(out, index=df.index)


def _read_sheets(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    where = str(path)
    if not path.is_file():
        raise NeedsAnalysisError("questionnaire file not found", where=where,
                                 expected="an XLSForm .xlsx file", fix="check the path or reinstall the package")
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, header=0, engine="openpyxl",
                               keep_default_na=False, na_filter=False)
    except (zipfile.BadZipFile, ValueError, KeyError, OSError) as exc:
        raise NeedsAnalysisError(f"cannot read the questionnaire ({type(exc).__name__}: {exc})", where=where,
                                 expected="a valid .xlsx workbook", fix="re-export the XLSForm as .xlsx") from None
    except Exception as exc:  # openpyxl raises its own InvalidFileException and others
        raise NeedsAnalysisError(f"cannot read the questionnaire ({type(exc).__name__})", where=where,
                                 expected="a valid .xlsx workbook", fix="re-export the XLSForm as .xlsx") from None
    lower = {str(k).strip().lower(): v for k, v in sheets.items()}
    for sheet in ("survey", "choices"):
        if sheet not in lower:
            raise NeedsAnalysisError(f"sheet '{sheet}' is missing (found {', '.join(map(str, sheets)) or 'none'})",
                                     where=where, expected="sheets survey, choices and settings",
                                     fix="use an XLSForm questionnaire")
    return lower["survey"], lower["choices"], lower.get("settings")


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int, size: int) -> Codebook:
    survey, choices, settings = _read_sheets(Path(path))
    return Codebook(survey, choices, settings, source=path)


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read the questionnaire (XLSForm) into a :class:`Codebook`.

    Parameters
    ----------
    path : str or Path, optional
        The XLSForm ``.xlsx``; default :func:`needs_analysis.config.questionnaire_path`.

    Returns
    -------
    Codebook
        The parsed questionnaire (cached per file path and modification time).

    Raises
    ------
    NeedsAnalysisError
        If the file is missing or not a workbook, a sheet (``survey``,
        ``choices``) or a required column is missing, or the form is
        inconsistent (unknown choice list, unbalanced groups, duplicate names).
    """
    p = Path(path) if path is not None else questionnaire_path()
    try:
        st = p.stat()
    except OSError:
        raise NeedsAnalysisError("questionnaire file not found", where=str(p), expected="an XLSForm .xlsx file",
                                 fix="check the path or reinstall the package") from None
    return _load_cached(str(p.resolve()), st.st_mtime_ns, st.st_size)
