"""Survey-platform bookkeeping columns: recognised, never treated as questions, mostly dropped.

KoboToolbox (formpack's copy fields and the form's metadata questions), ODK and
LimeSurvey (response-table columns, in question-code and English full-text
headings) write columns that are not answers. The analysis keeps the ones in
:data:`~needs_analysis.harmonise.META_COLUMNS` (ids, start and end times,
language, device) and drops the rest in harmonisation, each named in the load
report; those that identify a person (user names, IP addresses, access codes)
are marked so the report says why.

LimeSurvey's ``startdate``, ``submitdate``, ``datestamp`` and ``interviewtime``
become the canonical ``start`` / ``end`` / ``_submission_time`` columns the
cleaning's speeder check reads (:func:`limesurvey_times`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..codebook import normalise_text

__all__ = ["MetaColumn", "classify_meta", "is_platform_meta", "limesurvey_times", "KOBO_HINTS", "LIMESURVEY_HINTS"]


@dataclass(frozen=True)
class MetaColumn:
    """What a platform column is.

    Attributes
    ----------
    column : str
        Canonical name: one of ``META_COLUMNS`` when ``keep``, else the platform's own name.
    keep : bool
        Carried into the harmonised data.
    identifier : bool
        Identifies a person or device owner (never kept).
    platform : str
        ``KoboToolbox``, ``LimeSurvey``, ``ODK`` or ``""`` (any).
    """

    column: str
    keep: bool = False
    identifier: bool = False
    platform: str = ""


_KOBO = "KoboToolbox"
_LS = "LimeSurvey"
_ODK = "ODK"

#: exact (case-insensitive) names -> what they are
_NAMES: dict[str, MetaColumn] = {
    # kept (the analysis format's meta columns) and their aliases in SPSS/Stata exports (no leading "_")
    "_id": MetaColumn("_id", True, platform=_KOBO), "_uuid": MetaColumn("_uuid", True, platform=_KOBO),
    "start": MetaColumn("start", True), "end": MetaColumn("end", True),
    "_submission_time": MetaColumn("_submission_time", True, platform=_KOBO),
    "language": MetaColumn("language", True), "device_id": MetaColumn("device_id", True),
    "deviceid": MetaColumn("device_id", True, platform=_ODK),
    "uuid": MetaColumn("_uuid", True), "respondent_id": MetaColumn("_uuid", True),
    "submission_time": MetaColumn("_submission_time", True), "submissiondate": MetaColumn("_submission_time", True),
    "starttime": MetaColumn("start", True), "endtime": MetaColumn("end", True),
    # KoboToolbox export copy fields and form metadata, dropped
    "today": MetaColumn("today", platform=_KOBO),
    "_validation_status": MetaColumn("_validation_status", platform=_KOBO),
    "_notes": MetaColumn("_notes", platform=_KOBO), "_status": MetaColumn("_status", platform=_KOBO),
    "_submitted_by": MetaColumn("_submitted_by", identifier=True, platform=_KOBO),
    "__version__": MetaColumn("__version__", platform=_KOBO), "_version_": MetaColumn("_version_", platform=_KOBO),
    "_tags": MetaColumn("_tags", platform=_KOBO), "_index": MetaColumn("_index", platform=_KOBO),
    "_parent_index": MetaColumn("_parent_index", platform=_KOBO),
    "_parent_table_name": MetaColumn("_parent_table_name", platform=_KOBO),
    "_attachments": MetaColumn("_attachments", platform=_KOBO),
    "_geolocation": MetaColumn("_geolocation", platform=_KOBO),
    "_xform_id_string": MetaColumn("_xform_id_string", platform=_KOBO),
    "_duration": MetaColumn("_duration", platform=_KOBO),
    "username": MetaColumn("username", identifier=True, platform=_ODK),
    "simserial": MetaColumn("simserial", identifier=True, platform=_ODK),
    "subscriberid": MetaColumn("subscriberid", identifier=True, platform=_ODK),
    "phonenumber": MetaColumn("phonenumber", identifier=True, platform=_ODK),
    "audit": MetaColumn("audit", platform=_ODK), "instanceid": MetaColumn("instanceID", platform=_ODK),
    # LimeSurvey response table (question-code headings)
    "id": MetaColumn("_id", True, platform=_LS), "submitdate": MetaColumn("submitdate", platform=_LS),
    "lastpage": MetaColumn("lastpage", platform=_LS), "startlanguage": MetaColumn("language", True, platform=_LS),
    "seed": MetaColumn("seed", platform=_LS), "startdate": MetaColumn("startdate", platform=_LS),
    "datestamp": MetaColumn("datestamp", platform=_LS), "ipaddr": MetaColumn("ipaddr", identifier=True, platform=_LS),
    "refurl": MetaColumn("refurl", platform=_LS), "token": MetaColumn("token", identifier=True, platform=_LS),
    "interviewtime": MetaColumn("interviewtime", platform=_LS),
    "firstname": MetaColumn("firstname", identifier=True, platform=_LS),
    "lastname": MetaColumn("lastname", identifier=True, platform=_LS),
    "email": MetaColumn("email", identifier=True, platform=_LS),
}
#: LimeSurvey's English full-text headings of the same columns (its fieldmap's ``question`` texts)
_LS_FULL: dict[str, str] = {
    "response id": "id", "date submitted": "submitdate", "last page": "lastpage", "start language": "startlanguage",
    "seed": "seed", "date started": "startdate", "date last action": "datestamp", "ip address": "ipaddr",
    "referrer url": "refurl", "token": "token", "access code": "token", "total time": "interviewtime",
    "first name": "firstname", "last name": "lastname", "email address": "email",
}
_PREFIXES = re.compile(r"^(meta|formhub)/|^_submission_|^attribute_\d+$|^grouptime\d+$|^(group|question) time: ",
                       re.IGNORECASE)
#: columns whose presence says which platform wrote the file
KOBO_HINTS = frozenset({"_uuid", "_submission_time", "_index", "_validation_status", "__version__", "_status",
                        "_notes", "_tags", "_submitted_by"})
LIMESURVEY_HINTS = frozenset({"submitdate", "lastpage", "startlanguage", "seed", "datestamp", "interviewtime",
                              "startdate", "refurl"})


def classify_meta(header: object) -> MetaColumn | None:
    """The platform column ``header`` names, or None for anything else (a question, an unknown column).

    Parameters
    ----------
    header : object
        A column header as exported.

    Returns
    -------
    MetaColumn or None

    Examples
    --------
    >>> classify_meta("_submitted_by")
    MetaColumn(column='_submitted_by', keep=False, identifier=True, platform='KoboToolbox')
    >>> classify_meta("Date submitted").column
    'submitdate'
    >>> classify_meta("consent") is None
    True
    >>> classify_meta("_submission__uuid").keep, classify_meta("_any_new_kobo_field").platform
    (False, 'KoboToolbox')
    """
    text = str(header).strip()
    key = text.casefold()
    hit = _NAMES.get(key) or _NAMES.get(_LS_FULL.get(normalise_text(text), ""))
    if hit is not None:
        return hit
    m = _PREFIXES.match(text)
    if m is None:
        # KoboToolbox reserves a leading underscore for its own fields (an XLSForm question name cannot
        # clash with them), and adds new ones over time: any other such column is bookkeeping, dropped
        return MetaColumn(text, platform=_KOBO) if text.startswith("_") and len(text) > 1 else None
    if key.startswith("attribute_"):
        return MetaColumn(text, identifier=True, platform=_LS)
    if key.startswith(("grouptime", "group time", "question time")):
        return MetaColumn(text, platform=_LS)
    return MetaColumn(text, platform=_KOBO if key.startswith(("_submission_", "formhub/")) else _ODK)


def is_platform_meta(column: object) -> bool:
    """True for survey-platform bookkeeping columns (KoboToolbox, ODK, LimeSurvey), which are not questions."""
    return classify_meta(column) is not None


def _times(col: pd.Series) -> pd.Series:
    text = col.astype(object).map(lambda v: v if isinstance(v, str) or pd.isna(v) else str(v))
    return pd.to_datetime(text, errors="coerce", format="mixed")


def limesurvey_times(cols: dict[str, pd.Series]) -> tuple[dict[str, pd.Series], set[str], str]:
    """Canonical ``start`` / ``end`` / ``_submission_time`` from LimeSurvey's response times.

    Parameters
    ----------
    cols : dict of str to Series
        LimeSurvey time columns present: any of ``startdate``, ``submitdate``,
        ``datestamp``, ``interviewtime`` (seconds on the survey pages).

    Returns
    -------
    columns : dict of str to Series
        The canonical columns that could be made (``start`` from
        ``startdate``; ``end`` as ``startdate + interviewtime`` when the
        timings were saved, else ``submitdate``, else ``datestamp``;
        ``_submission_time`` from ``submitdate``).
    used : set of str
        The LimeSurvey columns used.
    note : str
        One line for the load report (``""`` when nothing was mapped).

    Notes
    -----
    ``interviewtime`` is preferred for the end because it counts only the time
    spent on the survey's pages, as KoboToolbox's ``end - start`` does for a
    form filled in one sitting; ``submitdate - startdate`` also counts breaks.
    A response without ``submitdate`` was not completed; it keeps a missing
    end unless its timings were saved.
    """
    out: dict[str, pd.Series] = {}
    parts = []
    used = set()
    if "startdate" in cols:
        out["start"] = cols["startdate"]
        used.add("startdate")
        parts.append("start = startdate")
        if "interviewtime" in cols:
            start = _times(cols["startdate"])
            secs = pd.to_numeric(cols["interviewtime"].map(lambda v: str(v).replace(",", ".")
                                                           if not pd.isna(v) else np.nan), errors="coerce")
            end = start + pd.to_timedelta(secs, unit="s")
            out["end"] = end.dt.strftime("%Y-%m-%dT%H:%M:%S").astype(object).where(end.notna(), np.nan)
            used.add("interviewtime")
            parts.append("end = startdate + interviewtime")
    if "end" not in out:
        for src in ("submitdate", "datestamp"):
            if src in cols:
                out["end"] = cols[src]
                used.add(src)
                parts.append(f"end = {src}")
                break
    if "submitdate" in cols:
        out["_submission_time"] = cols["submitdate"]
        used.add("submitdate")
        parts.append("_submission_time = submitdate")
    note = f"LimeSurvey times for the speeder check: {', '.join(parts)}" if "start" in out and "end" in out else (
        f"LimeSurvey times: {', '.join(parts)} (no start and end: the speeder check cannot run)" if parts else "")
    return out, used, note
