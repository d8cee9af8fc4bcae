"""Design-based estimation for complex survey samples.

``SurveyDesign`` (Taylor linearisation) and ``ReplicateDesign`` (replicate
weights: JK1, JKn, Rao-Wu bootstrap, BRR/Fay) share the estimators

* ``mean``, ``total``, ``ratio``, ``proportion`` (CI methods ``logit``,
  ``likelihood``, ``beta``, ``wilson``, ``asin``, ``xlogit``, ``wald``) and
  ``quantile`` (Woodruff), each with ``by=`` domains computed over the full
  design;
* ``difference`` (two domains), ``ttest`` (two groups), ``chisq``
  (Rao-Scott, Wald), ``glm`` (linear, logistic) and ``olr``
  (proportional odds for ordinal items);

and ``subset``; ``SurveyDesign`` adds ``calibrate``, ``rake``,
``poststratify`` and ``replicate``. Every estimator returns an
:class:`EstimateTable`. Numbers agree with R ``survey`` (see
``tests/reference``).
"""

from __future__ import annotations

from ._ci import PROPORTION_CI_METHODS
from ._design import SurveyDesign
from ._replicate import ReplicateDesign
from ._result import ESTIMATE_COLUMNS, ChisqResult, EstimateTable, GlmResult, OlrResult

__all__ = [
    "SurveyDesign",
    "ReplicateDesign",
    "EstimateTable",
    "ChisqResult",
    "GlmResult",
    "OlrResult",
    "ESTIMATE_COLUMNS",
    "PROPORTION_CI_METHODS",
]
