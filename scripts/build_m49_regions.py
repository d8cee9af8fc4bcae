"""Build ``src/needs_analysis/resources/m49_regions.csv``: each country's UN M49 sub-region and region.

The public-use microdata file (``needs-analysis export --public``) recodes rare
citizenships into their sub-region of the United Nations "Standard country or
area codes for statistical use" (M49, https://unstats.un.org/unsd/methodology/m49/).
The country-to-region assignment is read from the table that the
``country_converter`` package ships (``country_data.tsv``, columns ``ISO2``,
``UNregion``, ``continent``; Stadler 2017, doi:10.21105/joss.00332), which
follows M49; the Lithuanian names of the 22 sub-regions and 5 regions are the
project's. ``country_converter`` is needed only to run this script
(``pip install country_converter``), never by the package.

Usage::

    python scripts/build_m49_regions.py [--out PATH]
"""

from __future__ import annotations

import argparse
import csv
import io
from importlib import resources
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "src" / "needs_analysis" / "resources" / "m49_regions.csv"

#: M49 sub-regions: English name (as M49 writes it) -> Lithuanian name.
SUBREGIONS_LT = {
    "Australia and New Zealand": "Australija ir Naujoji Zelandija", "Caribbean": "Karibai",
    "Central America": "Centrinė Amerika", "Central Asia": "Centrinė Azija", "Eastern Africa": "Rytų Afrika",
    "Eastern Asia": "Rytų Azija", "Eastern Europe": "Rytų Europa", "Melanesia": "Melanezija",
    "Micronesia": "Mikronezija", "Middle Africa": "Vidurio Afrika", "Northern Africa": "Šiaurės Afrika",
    "Northern America": "Šiaurės Amerika", "Northern Europe": "Šiaurės Europa", "Polynesia": "Polinezija",
    "South America": "Pietų Amerika", "South-eastern Asia": "Pietryčių Azija", "Southern Africa": "Pietų Afrika",
    "Southern Asia": "Pietų Azija", "Southern Europe": "Pietų Europa", "Western Africa": "Vakarų Afrika",
    "Western Asia": "Vakarų Azija", "Western Europe": "Vakarų Europa", "Antarctica": "Antarktida",
}
#: M49 regions (continents) -> Lithuanian name.
REGIONS_LT = {"Africa": "Afrika", "Americas": "Amerika", "Asia": "Azija", "Europe": "Europa",
              "Oceania": "Okeanija", "Antarctica": "Antarktida"}


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.lower()).strip("_").replace("__", "_")


def build(out: Path = OUT) -> Path:
    """Write the table: ``iso2, subregion, subregion_en, subregion_lt, region, region_en, region_lt``."""
    text = (resources.files("country_converter") / "country_data.tsv").read_text(encoding="utf-8")
    data = pd.read_csv(io.StringIO(text), sep="\t", keep_default_na=False, dtype=str)
    data = data[(data["ISO2"].str.len() == 2) & (data["UNregion"] != "")].sort_values("ISO2")
    rows = []
    for r in data.itertuples(index=False):
        sub, region = r.UNregion, {"America": "Americas"}.get(r.continent, r.continent)  # M49's name
        rows.append({"iso2": r.ISO2, "subregion": "r_" + _slug(sub), "subregion_en": sub,
                     "subregion_lt": SUBREGIONS_LT[sub], "region": "c_" + _slug(region), "region_en": region,
                     "region_lt": REGIONS_LT[region]})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    out.write_text(buf.getvalue(), encoding="utf-8")
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    print(build(parser.parse_args().out))
