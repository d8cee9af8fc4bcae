"""Report tables 4 (services), 5 (comparison with the other municipalities) and 5b (change since the last wave)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..disclosure import DEFAULT_RULES, DisclosureRules, mask_withheld
from ..presentation import compared_count, compared_words, has_ui, prepare_change, ui
from ._format import DEC2_FORMAT, DEC3_FORMAT, INT_FORMAT, PCT_FORMAT, count_column, flag_texts

__all__ = ["table_services", "table_comparison", "table_change", "SERVICES_FIGURE", "CHANGE_TABLE"]

#: Sheet / CSV name of the change table (between the comparison and the data processing).
CHANGE_TABLE = "05b_change"

#: Catalogue figure whose indicators make up the services table.
SERVICES_FIGURE = "06_services"
def _catalogue(catalogue):
    if catalogue is None:
        from ..indicators import load_catalogue

        return load_catalogue()
    return tuple(catalogue)


def table_services(est: pd.DataFrame, lang: str, *, catalogue=None,
                   rules: DisclosureRules = DEFAULT_RULES) -> pd.DataFrame | None:
    """Table 4: awareness, use, need and satisfaction of each service.

    Parameters
    ----------
    est : DataFrame
        Estimates after disclosure (rows at domain ``total`` are used).
    lang : {"lt", "en"}
        Language.
    catalogue : sequence of Indicator, optional
        Services are the indicators with ``figure == "06_services"``; the
        service is the short label, the measure the panel.
    rules : DisclosureRules, default DEFAULT_RULES
        Thresholds quoted in the flag texts.

    Returns
    -------
    DataFrame or None
        One row per (service, measure) in service then measure order; ``None``
        when no service indicator is in ``est``.
    """
    inds = [i for i in _catalogue(catalogue) if i.figure == SERVICES_FIGURE]
    tot = mask_withheld(est[est["domain"].astype(str) == "total"]).set_index("indicator")
    inds = [i for i in inds if i.id in tot.index]
    if not inds:
        return None
    services = list(dict.fromkeys(i.short("en") for i in inds))
    measures = list(dict.fromkeys(i.panel for i in inds))
    inds = sorted(inds, key=lambda i: (services.index(i.short("en")), measures.index(i.panel)))
    h = {c: ui(f"col.{c}", lang) for c in ("service", "measure", "indicator", "estimate", "ci_low", "ci_high",
                                           "n_base", "flag")}
    rows = []
    for i in inds:
        r = tot.loc[i.id]
        measure = ui(f"panel.{i.panel}", lang) if has_ui(f"panel.{i.panel}") else i.panel
        rows.append({h["service"]: i.short(lang), h["measure"]: measure, h["indicator"]: i.id,
                     h["estimate"]: float(r["estimate"]), h["ci_low"]: float(r["ci_low"]),
                     h["ci_high"]: float(r["ci_high"]), h["n_base"]: r["n"],
                     h["flag"]: flag_texts([r["flag"]], lang, rules=rules, n=[r["n"]])[0]})
    out = pd.DataFrame(rows)
    out[h["n_base"]] = count_column(out[h["n_base"]])
    out.attrs["title"] = ui("table.04_services", lang)
    out.attrs["sheet"] = ui("sheet.04_services", lang)
    out.attrs["formats"] = {h["estimate"]: PCT_FORMAT, h["ci_low"]: PCT_FORMAT, h["ci_high"]: PCT_FORMAT, h["n_base"]: INT_FORMAT}
    return out


def table_comparison(comparison: pd.DataFrame, municipality: str, lang: str, *,
                     rules: DisclosureRules = DEFAULT_RULES, alpha: float = 0.05) -> pd.DataFrame:
    """Table 5: every indicator for this municipality, the others compared and all of them, with the test.

    The column headings count the municipalities of ``comparison`` ("Other five", "All six" for six).

    Parameters
    ----------
    comparison : DataFrame
        :func:`needs_analysis.indicators.compare_municipalities` output after
        :func:`needs_analysis.disclosure.apply_comparison_disclosure`.
    municipality : str
        The pack's municipality id.
    lang : {"lt", "en"}
        Language.
    rules : DisclosureRules, default DEFAULT_RULES
        Thresholds quoted in the flag texts.
    alpha : float
        Level at which a Holm-adjusted p-value counts as significant.

    Returns
    -------
    DataFrame
        Estimates and CIs of the three groups, the difference with its CI,
        the p-value, the Holm-adjusted p-value, a significance column and
        the flag of the municipality's estimate.
    """
    from ..municipalities import get_municipality

    mun = get_municipality(municipality)
    own = comparison[comparison["municipality"].astype(str) == mun.id]
    pooled = comparison[comparison["municipality"].astype(str) == "all"].set_index("indicator")
    name = mun.name(lang, short=True)
    words = compared_words(compared_count(comparison, "all"), lang)
    h = {c: ui(f"col.{c}", lang, **words) for c in ("area", "indicator", "label", "rest_estimate", "rest_ci_low",
                                           "rest_ci_high", "all_estimate", "all_ci_low", "all_ci_high",
                                           "difference", "diff_ci_low", "diff_ci_high", "p_value", "p_holm",
                                           "significant", "flag", "n_base")}
    own_cols = {c: f"{name}: {ui(f'col.{c}', lang)}" for c in ("estimate", "ci_low", "ci_high")}
    own_cols["n"] = f"{name}: {ui('col.n_base', lang)}"
    out = pd.DataFrame(index=range(len(own)))
    out[h["area"]] = [ui(f"area.{a}", lang) if has_ui(f"area.{a}") else str(a) for a in own["area"]]
    out[h["indicator"]] = own["indicator"].astype(str).to_numpy()
    out[h["label"]] = own[f"label_{lang}"].astype(str).to_numpy()

    def num(col, frame=own):
        return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)

    for c in ("estimate", "ci_low", "ci_high"):
        out[own_cols[c]] = num(c)
    out[own_cols["n"]] = count_column(own["n"])
    for c in ("rest_estimate", "rest_ci_low", "rest_ci_high"):
        out[h[c]] = num(c)
    ids = own["indicator"].astype(str)
    for c, src in (("all_estimate", "estimate"), ("all_ci_low", "ci_low"), ("all_ci_high", "ci_high")):
        out[h[c]] = pd.to_numeric(ids.map(pooled[src]), errors="coerce").to_numpy(dtype=float)
    for c in ("difference", "diff_ci_low", "diff_ci_high", "p_value", "p_holm"):
        out[h[c]] = num(c)
    p = num("p_holm")
    out[h["significant"]] = [("" if np.isnan(v) else ui("yes" if v < alpha else "no", lang)) for v in p]
    out[h["flag"]] = flag_texts(own["flag"] if "flag" in own else [""] * len(own), lang, rules=rules, n=own["n"])
    is_prop = (own["kind"].astype(str) == "proportion").to_numpy()
    val_fmt = [PCT_FORMAT if x else DEC2_FORMAT for x in is_prop]
    formats: dict[str, object] = {col: val_fmt for col in
                                  (*[own_cols[c] for c in ("estimate", "ci_low", "ci_high")],
                                   *[h[c] for c in ("rest_estimate", "rest_ci_low", "rest_ci_high", "all_estimate",
                                                    "all_ci_low", "all_ci_high", "difference", "diff_ci_low",
                                                    "diff_ci_high")])}
    formats[own_cols["n"]] = INT_FORMAT
    formats[h["p_value"]] = DEC3_FORMAT
    formats[h["p_holm"]] = DEC3_FORMAT
    out.attrs["title"] = ui("table.05_comparison", lang)
    out.attrs["sheet"] = ui("sheet.05_comparison", lang)
    out.attrs["formats"] = formats
    return out


def table_change(change: pd.DataFrame, municipality: str, lang: str, *,
                 rules: DisclosureRules = DEFAULT_RULES, alpha: float = 0.05) -> pd.DataFrame | None:
    """Table 5b: every indicator of the municipality in this and the previous wave, and the change.

    Parameters
    ----------
    change : DataFrame
        :func:`needs_analysis.indicators.compare_waves` output.
    municipality : str
        The pack's municipality id.
    lang : {"lt", "en"}
        Language.
    rules : DisclosureRules, default DEFAULT_RULES
        Thresholds quoted in the flag texts.
    alpha : float
        Level at which a Holm-adjusted p-value counts as significant.

    Returns
    -------
    DataFrame or None
        One row per indicator of the municipality's overall estimates present
        in both waves: the two estimates with their CIs (columns headed with
        the wave ids), the change with its CI, p-value, Holm-adjusted p-value
        and significance (family indicators only), whether the indicator is
        in the headline family and comparable, and the flag of the change.
        None when the municipality has no such row.
    """
    rows = prepare_change(change, municipality)
    if rows.empty:
        return None
    wave, previous = str(rows["wave"].iloc[0]), str(rows["previous_wave"].iloc[0])
    h = {c: ui(f"col.{c}", lang) for c in ("area", "indicator", "label", "change", "change_ci_low",
                                           "change_ci_high", "p_value", "p_holm", "significant_change",
                                           "in_family", "comparable", "flag")}
    waves = {f"{prefix}{c}": f"{w}: {ui(f'col.{c}', lang)}"
             for prefix, w in (("", wave), ("prev_", previous)) for c in ("estimate", "ci_low", "ci_high")}
    out = pd.DataFrame(index=range(len(rows)))
    out[h["area"]] = [ui(f"area.{a}", lang) if has_ui(f"area.{a}") else str(a) for a in rows["area"]]
    out[h["indicator"]] = rows["indicator"].astype(str).to_numpy()
    out[h["label"]] = rows[f"label_{lang}"].astype(str).to_numpy()
    for src in ("prev_estimate", "prev_ci_low", "prev_ci_high", "estimate", "ci_low", "ci_high"):
        out[waves[src]] = pd.to_numeric(rows[src], errors="coerce").to_numpy(dtype=float)
    for c, src in (("change", "difference"), ("change_ci_low", "diff_ci_low"), ("change_ci_high", "diff_ci_high"),
                   ("p_value", "p_value"), ("p_holm", "p_holm")):
        out[h[c]] = pd.to_numeric(rows[src], errors="coerce").to_numpy(dtype=float)
    p = out[h["p_holm"]].to_numpy(dtype=float)
    out[h["significant_change"]] = ["" if np.isnan(v) else ui("yes" if v < alpha else "no", lang) for v in p]
    yes_no = {True: ui("yes", lang), False: ui("no", lang)}
    out[h["in_family"]] = [yes_no[bool(v)] for v in rows["in_family"]]
    out[h["comparable"]] = [yes_no[bool(v)] for v in rows["comparable"]]
    out[h["flag"]] = flag_texts(rows["diff_flag"], lang, rules=rules)
    is_prop = (rows["kind"].astype(str) == "proportion").to_numpy()
    val_fmt = [PCT_FORMAT if x else DEC2_FORMAT for x in is_prop]
    formats: dict[str, object] = {col: val_fmt for col in (*waves.values(), h["change"], h["change_ci_low"],
                                                           h["change_ci_high"])}
    formats[h["p_value"]] = DEC3_FORMAT
    formats[h["p_holm"]] = DEC3_FORMAT
    out.attrs["title"] = ui(f"table.{CHANGE_TABLE}", lang, previous=previous)
    out.attrs["sheet"] = ui(f"sheet.{CHANGE_TABLE}", lang)
    out.attrs["formats"] = formats
    return out
