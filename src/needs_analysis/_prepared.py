"""The prepared-stage cache: a wave's municipalities loaded, cleaned and weighted once, reused by later runs.

:func:`needs_analysis.pipeline.run` compares every municipality with the wave's others and measures the change
since the previous wave; both need the other municipalities' (or the other wave's) prepared stages, which do not
change while their inputs do not. An entry is keyed by the sha256 of every input (:func:`prepared_key`). Two more
entries hold what is computed from the whole wave: the comparison with the disclosure audit's data
(:data:`WAVE_ENTRY`, :func:`wave_key`) and the record of the monitoring data set last written
(:data:`MONITORING_ENTRY`, :func:`files_key`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import pickle
from functools import lru_cache
from pathlib import Path

from ._atomic import replace_file
from ._version import __version__
from .clean import CleanResult
from .codebook import Codebook
from .config import RunSettings

__all__ = ["CACHE_DIR", "WAVE_ENTRY", "MONITORING_ENTRY", "PreparedCache", "prepared_key", "wave_key", "files_key"]


#: Folder of the prepared-stage cache inside a wave's processed folder.
CACHE_DIR = ".cache"
#: Name of the entry of the wave's comparison and audit data (the ids of the municipalities list start with a letter).
WAVE_ENTRY = "_wave"
#: Name of the entry that records the monitoring data set last written (its inputs' key, its files' sha256).
MONITORING_ENTRY = "_monitoring"


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """sha256 over the package's modules and resources: a cache entry of other code is stale."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".pyc",)
                       and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _file_hash(path: Path | None) -> str | None:
    from .io import sha256_file

    return sha256_file(path) if path is not None and Path(path).is_file() else None


def prepared_key(municipality: str, settings: RunSettings, raw_path: Path) -> str:
    """The cache key of a municipality's prepared stages: a sha256 of every input they depend on.

    The raw export's and the margins' (and mapping file's) sha256, the loading, cleaning and weighting
    settings, the study (its wave's year, raking variables...), the package version and a fingerprint of its
    code and resources.
    """
    parts = {
        "municipality": municipality,
        "raw": _file_hash(raw_path),
        "margins": _file_hash(settings.margins_path),
        "mapping": _file_hash(settings.mapping_file),
        "settings": [repr(getattr(settings, k)) for k in ("rake_variables", "min_cell", "weight_method", "trim",
                                                           "normalise", "max_unmapped", "sheet", "ci_level")],
        "study": repr(settings.study),
        "wave": settings.wave,
        "code": _code_fingerprint(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def wave_key(keys: dict[str, str], settings: RunSettings) -> str:
    """The cache key of what is computed from all of a wave's prepared municipalities together.

    The comparison of each municipality with the others and the disclosure audit's respondent data depend
    only on the prepared stages of the municipalities taken part (``keys``: municipality -> :func:`prepared_key`,
    in the wave's order) and on the disclosure rules and CI settings, which are hashed with them.
    """
    parts = {
        "prepared": list(keys.items()),
        "disclosure": repr(settings.disclosure),
        "ci": [repr(settings.ci_level), repr(settings.study.ci_method)],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def files_key(paths, *settings: object) -> str:
    """A sha256 over files (their names and contents), some settings and the package's code fingerprint."""
    digest = hashlib.sha256(_code_fingerprint().encode())
    for path in paths:
        digest.update(str(path).encode() + b"\0" + (_file_hash(Path(path)) or "").encode() + b"\0")
    digest.update(json.dumps([repr(s) for s in settings]).encode())
    return digest.hexdigest()


class PreparedCache:
    """The prepared stages (clean, weighted) of a wave's municipalities, kept for the comparison of later runs.

    Entries live in ``<processed>/<wave>/.cache/<m>.<key>.pkl`` (:func:`prepared_key`), each written whole
    (:func:`needs_analysis._atomic.replace_file`); an entry of other inputs, settings or code is stale and
    ignored (and replaced when the municipality is prepared again). What is kept is what the comparison and
    the disclosure audit use: the weighted respondents without the columns that identify people
    (free text, meta and identifier columns the catalogue does not use; the same rule as
    ``processed/<m>/responses.parquet``), the weighting cells and report, the cleaning log (masked) and row
    accounting. An entry is a pickle of the run's own objects: the cache folder is the tool's, not an
    exchange format.
    """

    def __init__(self, settings: RunSettings) -> None:
        self.folder = settings.processed_dir / CACHE_DIR
        self.settings = settings

    def _path(self, municipality: str, key: str) -> Path:
        return self.folder / f"{municipality}.{key}.pkl"

    def load_entry(self, name: str, key: str):
        """The value stored as ``name`` under ``key``, or None (no entry, stale or unreadable)."""
        path = self._path(name, key)
        if not path.is_file():
            return None
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)
        except Exception:  # noqa: BLE001 - an unreadable entry is only a cache miss
            return None

    def store_entry(self, name: str, key: str, value) -> None:
        """Keep ``value`` as ``<name>.<key>.pkl``, written whole, removing ``name``'s entries of other keys."""
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            for old in self.folder.glob(f"{name}.*.pkl"):
                if old.name != self._path(name, key).name:
                    old.unlink(missing_ok=True)
            with replace_file(self._path(name, key)) as temp:
                temp.write_bytes(pickle.dumps(value, protocol=5))

    def load(self, municipality: str, key: str) -> tuple | None:
        """``(None, cleaned, weighted, None)`` from the entry of ``key`` (:func:`prepared_key`), or None."""
        entry = self.load_entry(municipality, key)
        if entry is None:
            return None
        cleaned, weighted = entry
        return None, cleaned, weighted, None

    def store(self, municipality: str, key: str, prepared: tuple, codebook: Codebook) -> None:
        """Keep a municipality's prepared stages under ``key`` (:func:`prepared_key`; replacing stale entries)."""
        from dataclasses import replace as dc_replace

        from .clean import find_identifiers
        from .indicators import DOMAINS, load_catalogue, referenced_names

        _raw, cleaned, weighted, _unmapped = prepared
        used = set(DOMAINS) | set(self.settings.rake_variables) | set(self.settings.study.domains or ())
        for ind in load_catalogue():
            used.update((*referenced_names(ind.universe), *referenced_names(ind.numerator), *ind.base_variables()))
        found = find_identifiers(weighted.data, codebook)
        drop = sorted(set(found.loc[found["kind"] != "review", "column"]) - used - {"respondent_id", "weight"})
        kept = (CleanResult(weighted.data.iloc[:0, :0], cleaned.log, cleaned.summary, cleaned.n_received),
                dc_replace(weighted, data=weighted.data.drop(columns=drop)))
        self.store_entry(municipality, key, kept)
