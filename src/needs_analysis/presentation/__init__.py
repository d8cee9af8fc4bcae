"""The shared base of the presentation layer: the pack's words, its number formats, the estimates contract.

Figures, tables and the HTML report build on this package and on nothing of
each other's internals:

* :mod:`._text`: the lt/en user-interface strings (:func:`ui`, :func:`has_ui`),
  the report languages (:func:`check_lang`) and category labels
  (:func:`value_label`, :func:`default_value_labels`); the only module of the
  layer that reads a resource file (lazily, once);
* :mod:`._wording`: codes of the run as words (cleaning reasons and checks, weighting
  and interval methods, variable lists), :func:`lower_first` for labels inside a sentence;
* :mod:`._formats`: numbers, counts and percentages as each language writes them;
* :mod:`._counts`: the words counting the municipalities compared ("the other
  five", "all six": :func:`compared_words`, from :func:`compared_count` of the run's comparison);
* :mod:`._estimates`: the columns a presenter needs and the table checked and
  masked once (:func:`prepare_estimates`, :func:`single_municipality`);
* :mod:`._change`: the same for the change since the previous wave
  (:func:`prepare_change`).

It draws nothing and writes no file.
"""

from ._change import REQUIRED_CHANGE_COLUMNS, prepare_change
from ._counts import compared_count, compared_words
from ._estimates import REQUIRED_ESTIMATE_COLUMNS, prepare_estimates, single_municipality
from ._formats import fmt_int, fmt_num, fmt_pct
from ._text import DOMAIN_VARIABLES, REPORT_LANGS, check_lang, default_value_labels, has_ui, ui, value_label
from ._wording import cleaning_reason, lower_first, method_label, variable_list, variable_name

__all__ = [
    "REPORT_LANGS",
    "check_lang",
    "ui",
    "has_ui",
    "value_label",
    "default_value_labels",
    "DOMAIN_VARIABLES",
    "fmt_num",
    "fmt_int",
    "fmt_pct",
    "REQUIRED_ESTIMATE_COLUMNS",
    "prepare_estimates",
    "single_municipality",
    "REQUIRED_CHANGE_COLUMNS",
    "prepare_change",
    "cleaning_reason",
    "lower_first",
    "method_label",
    "variable_list",
    "variable_name",
    "compared_count",
    "compared_words",
]
