"""Map a raw export onto the codebook: columns, answer labels, numbers; or refuse it clearly.

Every export the survey platforms really produce for the questionnaire loads
to the same codes as the canonical file, or is refused with a one-line
:class:`~needs_analysis.errors.NeedsAnalysisError`:

* **KoboToolbox**, every choice of the export dialog: headers and answers as
  XML names or as labels in any of the form's languages (lt/en/ru/uk), with
  or without group names (``/``, ``.`` or another separator), select_multiple
  as one column, as 0/1 columns or both; its bookkeeping columns (``_id``,
  ``_uuid``, ``_submission_time``, ``_validation_status``, ``_notes``,
  ``_status``, ``_submitted_by``, ``__version__``, ``_tags``, ``_index``,
  ``today``...) recognised and, except the ids and times, dropped; note
  questions' columns ignored; repeat groups' sheets linked to their
  respondents (:mod:`._repeats`).
* **SPSS / Stata**: value labels, Kobo's ``question_choice`` 0/1 columns,
  declared user-missing codes mapped to ``dont_know``/``refused`` through
  their value labels.
* **LimeSurvey**: ``question[sub]`` columns with ``Y``/blank (or ``Yes``/
  ``No``), ``[other]`` texts, ``startdate``/``submitdate``/``interviewtime``
  as the start and end times; the survey's own codes through a mapping file
  (its ``.lss`` structure file or a mapping csv, :mod:`._mapping`).
* A :class:`pandas.DataFrame` goes through the same path.

Answers may be labels in any questionnaire language (the export's own language
first), choice names, numeric position codes (1 = first choice, when value
labels are lost), stray spaces, changed case and other Unicode forms;
citizenship may be a country name in any language or an ISO code. A value that
maps to nothing is kept as it was and listed (``unmapped``, and per column in
``unmapped_summary``); :func:`check_unmapped` stops a run when a select_one
column has more than a given share of them. What was recognised, used,
ignored and dropped is in :attr:`Harmonised.report`; the layout in
:attr:`Harmonised.shape`.
"""

from __future__ import annotations

from ._core import harmonise
from ._headers import header_score
from ._mapping import MAPPING_SUFFIXES, ExportMapping, read_mapping
from ._meta import is_platform_meta
from ._model import DATAFRAME_PATH, ID_COLUMN, META_COLUMNS, REQUIRED_COLUMNS, WEIGHT_COLUMN_NAMES, Harmonised, Shape
from ._unmapped import check_unmapped, unmapped_lines

__all__ = ["Harmonised", "Shape", "harmonise", "header_score", "check_unmapped", "unmapped_lines", "read_mapping",
           "ExportMapping", "MAPPING_SUFFIXES", "META_COLUMNS", "ID_COLUMN", "REQUIRED_COLUMNS", "is_platform_meta",
           "WEIGHT_COLUMN_NAMES", "DATAFRAME_PATH"]
