"""Synthetic population, survey sample and demo raw files with known truth.

For validation, demos and simulation studies only: the analysis pipeline never
imports this package, it reads the files that :func:`write_demo_data` writes.
A later wave (:data:`WAVE_2024`: survey year 2024, ten municipalities, a
planted change in some needs) is written by :func:`write_wave_demo_data`;
:func:`write_demo_waves` (the CLI's ``demo-data``) writes both.

Examples
--------
>>> from needs_analysis import synthetic
>>> pop = synthetic.build_population(seed=2021, scale=0.05)
>>> resp = synthetic.draw_sample(pop, seed=2021)
>>> raw, planted = synthetic.add_faults(resp, seed=2021, pop=pop)
"""

from __future__ import annotations

from ._facts import FACTS, POPULATION_SIZES, SAMPLE_TARGETS, Fact
from ._faults import FAULT_RATES, add_faults
from ._population import build_population, changed_models, derive_groups, population_sizes
from ._sample import draw_sample, response_propensity
from ._wave import (
    CHANGE_TRUTH_COLUMNS,
    FACTS_2024,
    WAVE_2024,
    Wave,
    build_wave,
    change_truth,
    demo_foreign_files,
    wave_files,
    write_demo_waves,
    write_wave_demo_data,
)
from ._write import DEMO_MANIFEST, MARGIN_CATEGORIES, foreign_files, population_margins, write_demo_data

#: the seed of the committed demo data
DEFAULT_SEED = 2021

__all__ = [
    "DEFAULT_SEED", "FACTS", "Fact", "POPULATION_SIZES", "SAMPLE_TARGETS", "FAULT_RATES", "MARGIN_CATEGORIES",
    "build_population", "draw_sample", "add_faults", "write_demo_data", "population_margins", "derive_groups",
    "population_sizes", "response_propensity", "foreign_files", "DEMO_MANIFEST", "changed_models",
    "Wave", "WAVE_2024", "FACTS_2024", "CHANGE_TRUTH_COLUMNS", "build_wave", "change_truth",
    "write_wave_demo_data", "wave_files", "write_demo_waves", "demo_foreign_files",
]
