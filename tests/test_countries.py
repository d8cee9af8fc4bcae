"""Citizenship text -> ISO 3166-1 alpha-2: every ISO country, the project's lt/ru/uk aliases, no guessing."""

from __future__ import annotations

import doctest
import unicodedata
from importlib import resources

import numpy as np
import pandas as pd
import pycountry
import pytest

from needs_analysis import NeedsAnalysisError, countries
from needs_analysis.clean import clean
from needs_analysis.codebook import load_codebook
from needs_analysis.config import default_data_dir
from needs_analysis.countries import country_name, country_table, normalise_countries, to_iso
from needs_analysis.harmonise import harmonise
from needs_analysis.io import read_raw
from needs_analysis.config import DEFAULT_MUNICIPALITIES as MUNICIPALITY_IDS

DATA = default_data_dir()

#: what respondents write, per language (lt, ru, uk, en; alternatives separated by "|"): the countries the
#: brief names and further common countries of origin of third-country nationals in Lithuania
NAMES: dict[str, tuple[str, str, str, str]] = {
    "UA": ("Ukraina", "Украина", "Україна", "Ukraine"),
    "BY": ("Baltarusija", "Беларусь|Белоруссия", "Білорусь|Білорусія", "Belarus"),
    "RU": ("Rusija", "Россия|РФ", "Росія", "Russia"),
    "UZ": ("Uzbekistanas|Uzbekija", "Узбекистан", "Узбекистан", "Uzbekistan"),
    "TJ": ("Tadžikistanas|Tadžikija", "Таджикистан", "Таджикистан", "Tajikistan"),
    "KZ": ("Kazachstanas", "Казахстан", "Казахстан", "Kazakhstan"),
    "KG": ("Kirgizija|Kirgizstanas", "Киргизия|Кыргызстан", "Киргизстан|Киргизія", "Kyrgyzstan"),
    "TM": ("Turkmėnistanas|Turkmėnija", "Туркменистан|Туркмения", "Туркменістан", "Turkmenistan"),
    "IN": ("Indija", "Индия", "Індія", "India"),
    "AZ": ("Azerbaidžanas", "Азербайджан", "Азербайджан", "Azerbaijan"),
    "GE": ("Sakartvelas|Gruzija", "Грузия", "Грузія", "Georgia"),
    "AM": ("Armėnija", "Армения", "Вірменія", "Armenia"),
    "MD": ("Moldova", "Молдова|Молдавия", "Молдова", "Moldova"),
    "TR": ("Turkija", "Турция", "Туреччина", "Turkey|Türkiye"),
    "CN": ("Kinija", "Китай", "Китай", "China"),
    "PK": ("Pakistanas", "Пакистан", "Пакистан", "Pakistan"),
    "BD": ("Bangladešas", "Бангладеш", "Бангладеш", "Bangladesh"),
    "LK": ("Šri Lanka", "Шри-Ланка", "Шрі-Ланка", "Sri Lanka"),
    "NP": ("Nepalas", "Непал", "Непал", "Nepal"),
    "NG": ("Nigerija", "Нигерия", "Нігерія", "Nigeria"),
    "CM": ("Kamerūnas", "Камерун", "Камерун", "Cameroon"),
    "ET": ("Etiopija", "Эфиопия", "Ефіопія", "Ethiopia"),
    "ER": ("Eritrėja", "Эритрея", "Еритрея", "Eritrea"),
    "SO": ("Somalis", "Сомали", "Сомалі", "Somalia"),
    "SD": ("Sudanas", "Судан", "Судан", "Sudan"),
    "SS": ("Pietų Sudanas", "Южный Судан", "Південний Судан", "South Sudan"),
    "CD": ("Kongo Demokratinė Respublika|Kongo DR", "Демократическая Республика Конго|ДР Конго|ДРК",
           "Демократична Республіка Конго|ДР Конго|ДРК", "DR Congo|Democratic Republic of the Congo|DRC"),
    "CG": ("Kongas|Kongo Respublika", "Республика Конго", "Республіка Конго", "Congo|Republic of the Congo"),
    "MM": ("Mianmaras", "Мьянма|Бирма", "М'янма|Бірма", "Myanmar|Burma"),
    "AF": ("Afganistanas", "Афганистан", "Афганістан", "Afghanistan"),
    "IQ": ("Irakas", "Ирак", "Ірак", "Iraq"),
    "SY": ("Sirija", "Сирия", "Сирія", "Syria"),
    "IR": ("Iranas", "Иран", "Іран", "Iran"),
    "YE": ("Jemenas", "Йемен", "Ємен", "Yemen"),
    "VN": ("Vietnamas", "Вьетнам", "В'єтнам|В’єтнам", "Vietnam|Viet Nam"),
    "PH": ("Filipinai", "Филиппины", "Філіппіни", "Philippines"),
    "ID": ("Indonezija", "Индонезия", "Індонезія", "Indonesia"),
    "EG": ("Egiptas", "Египет", "Єгипет", "Egypt"),
    "MA": ("Marokas", "Марокко", "Марокко", "Morocco"),
    "TN": ("Tunisas", "Тунис", "Туніс", "Tunisia"),
    "DZ": ("Alžyras", "Алжир", "Алжир", "Algeria"),
    "LB": ("Libanas", "Ливан", "Ліван", "Lebanon"),
    "JO": ("Jordanija", "Иордания", "Йорданія", "Jordan"),
    "PS": ("Palestina", "Палестина", "Палестина", "Palestine"),
    "IL": ("Izraelis", "Израиль", "Ізраїль", "Israel"),
    "US": ("JAV|Jungtinės Amerikos Valstijos|Amerika", "США|Америка", "США|Америка", "USA|United States|US"),
    "CA": ("Kanada", "Канада", "Канада", "Canada"),
    "BR": ("Brazilija", "Бразилия", "Бразилія", "Brazil"),
    "MX": ("Meksika", "Мексика", "Мексика", "Mexico"),
    "CO": ("Kolumbija", "Колумбия", "Колумбія", "Colombia"),
    "VE": ("Venesuela", "Венесуэла", "Венесуела", "Venezuela"),
    "CU": ("Kuba", "Куба", "Куба", "Cuba"),
    "GB": ("Jungtinė Karalystė|Didžioji Britanija|Anglija", "Великобритания|Англия",
           "Велика Британія|Великобританія|Англія", "UK|United Kingdom|Great Britain"),
    "JP": ("Japonija", "Япония", "Японія", "Japan"),
    "KR": ("Pietų Korėja", "Южная Корея", "Південна Корея", "South Korea"),
    "SA": ("Saudo Arabija", "Саудовская Аравия", "Саудівська Аравія", "Saudi Arabia"),
    "AE": ("Jungtiniai Arabų Emyratai|JAE", "ОАЭ", "ОАЕ", "UAE|United Arab Emirates"),
    "GH": ("Gana", "Гана", "Гана", "Ghana"),
    "KE": ("Kenija", "Кения", "Кенія", "Kenya"),
    "ZA": ("Pietų Afrikos Respublika|PAR", "ЮАР", "ПАР", "South Africa"),
    "ZW": ("Zimbabvė", "Зимбабве", "Зімбабве", "Zimbabwe"),
    "UG": ("Uganda", "Уганда", "Уганда", "Uganda"),
    "GN": ("Gvinėja", "Гвинея", "Гвінея", "Guinea"),
    "CI": ("Dramblio Kaulo Krantas", "Кот-д'Ивуар", "Кот-д'Івуар", "Côte d'Ivoire|Ivory Coast"),
    "SN": ("Senegalas", "Сенегал", "Сенегал", "Senegal"),
    "ML": ("Malis", "Мали", "Малі", "Mali"),
    "RS": ("Serbija", "Сербия", "Сербія", "Serbia"),
    "MK": ("Šiaurės Makedonija|Makedonija", "Северная Македония|Македония", "Північна Македонія",
           "North Macedonia"),
    "AL": ("Albanija", "Албания", "Албанія", "Albania"),
    "BA": ("Bosnija ir Hercegovina", "Босния и Герцеговина", "Боснія і Герцеговина", "Bosnia and Herzegovina"),
    "ME": ("Juodkalnija", "Черногория", "Чорногорія", "Montenegro"),
    "XK": ("Kosovas", "Косово", "Косово", "Kosovo"),
    "TH": ("Tailandas", "Таиланд", "Таїланд", "Thailand"),
    "MY": ("Malaizija", "Малайзия", "Малайзія", "Malaysia"),
    "MN": ("Mongolija", "Монголия", "Монголія", "Mongolia"),
    "TW": ("Taivanas", "Тайвань", "Тайвань", "Taiwan"),
    "AU": ("Australija", "Австралия", "Австралія", "Australia"),
    "NZ": ("Naujoji Zelandija", "Новая Зеландия", "Нова Зеландія", "New Zealand"),
    "AR": ("Argentina", "Аргентина", "Аргентина", "Argentina"),
    "PE": ("Peru", "Перу", "Перу", "Peru"),
    "CL": ("Čilė", "Чили", "Чилі", "Chile"),
    "EC": ("Ekvadoras", "Эквадор", "Еквадор", "Ecuador"),
    "KW": ("Kuveitas", "Кувейт", "Кувейт", "Kuwait"),
    "QA": ("Kataras", "Катар", "Катар", "Qatar"),
    "LY": ("Libija", "Ливия", "Лівія", "Libya"),
    "KH": ("Kambodža", "Камбоджа", "Камбоджа", "Cambodia"),
    "LA": ("Laosas", "Лаос", "Лаос", "Laos"),
    "SG": ("Singapūras", "Сингапур", "Сінгапур", "Singapore"),
    "RW": ("Ruanda", "Руанда", "Руанда", "Rwanda"),
    "SL": ("Siera Leonė", "Сьерра-Леоне", "Сьєрра-Леоне", "Sierra Leone"),
}
#: the countries the issue's brief names one by one
BRIEF = ("ER SO SD SS CD CG MM AF IQ SY IR YE PK BD LK NP NG CM ET TR AZ AM GE MD KZ KG TJ TM UZ CN VN PH ID EG MA "
         "TN DZ LB JO PS IL US CA BR MX CO VE CU GB").split()


def test_the_lists_cover_the_brief_and_sixty_common_origins():
    assert set(BRIEF) <= set(NAMES)
    assert len(NAMES) >= 60
    assert all(len(per_lang) == 4 and all(per_lang) for per_lang in NAMES.values())


@pytest.mark.parametrize("iso", sorted(NAMES))
def test_common_countries_map_from_lithuanian_russian_ukrainian_and_english(iso):
    wrong = {}
    for lang, names in zip(("lt", "ru", "uk", "en"), NAMES[iso]):
        for name in names.split("|"):
            for text in (name, f"  {unicodedata.normalize('NFD', name.upper())} "):  # as typed on another keyboard
                if to_iso(text) != iso:
                    wrong[(lang, text)] = to_iso(text)
    assert wrong == {}


def test_typographic_variants():
    assert to_iso("Кот\u2011д\u2019Ивуар") == "CI"  # non-breaking hyphen, typographic apostrophe
    assert to_iso("В\u02bcєтнам") == "VN" and to_iso("М\u2019янма") == "MM"  # modifier letter / right quote
    assert to_iso("Šri\u00a0Lanka") == "LK" and to_iso("Шри\u2013Ланка") == "LK"  # no-break space, en dash
    assert to_iso("Sri Lanka") == "LK" and to_iso("Šrilanka") is None  # diacritics kept, words not glued


def test_every_iso_country_maps_from_its_names_and_codes():
    countries = list(pycountry.countries)
    assert len(countries) == 249
    for c in countries:
        for text in (c.alpha_2, c.alpha_3, c.name, getattr(c, "official_name", None),
                     getattr(c, "common_name", None)):
            if text:
                assert to_iso(text) == c.alpha_2, (c.alpha_2, text)
        assert to_iso(c.alpha_3.lower()) == c.alpha_2
    assert to_iso("Congo, The Democratic Republic of the") == "CD" and to_iso("Congo") == "CG"
    assert to_iso("Korea, Democratic People's Republic of") == "KP"
    assert to_iso("Korea, Republic of") == "KR" and to_iso("South Korea") == "KR"


def test_pycountry_translations_are_used():
    # names nobody typed into resources/countries.csv, known from pycountry's gettext catalogues
    table = pd.read_csv(resources.files("needs_analysis") / "resources" / "countries.csv", dtype=str,
                        keep_default_na=False)
    own = set(table["iso2"])
    assert "ER" not in own and "SO" not in own and "SS" not in own
    assert (to_iso("Eritrėja"), to_iso("Эритрея"), to_iso("Еритрея")) == ("ER", "ER", "ER")
    assert (to_iso("Somalis"), to_iso("Сомали"), to_iso("Сомалі")) == ("SO", "SO", "SO")
    assert (to_iso("Pietų Sudanas"), to_iso("Южный Судан"), to_iso("Південний Судан")) == ("SS", "SS", "SS")
    assert to_iso("Sudano Respublika") == "SD"  # an official name, translated


@pytest.mark.parametrize("text", [
    "Atlantis", "Narnia", "Nige", "Nigerr", "Nigeri", "Sudan South", "Kurdistan", "Курдистан", "Africa", "Europe",
    "Asia", "EU", "ES šalis", "СССР", "USSR", "Yugoslavia", "Czechoslovakia", "Virgin Islands", "Congo DR Republic",
    "Ukraine/Russia", "Украина, Россия", "Other country", "Kita šalis", "Другая страна", "Інша країна", "-", "?",
    "0", "12", "N/A",
])
def test_unknown_or_ambiguous_text_gives_none(text):
    assert to_iso(text) is None


def test_close_names_stay_apart():
    # exact matching only: one letter more or less is another country or nothing
    assert (to_iso("Niger"), to_iso("Nigeria")) == ("NE", "NG")
    assert (to_iso("Нигер"), to_iso("Нигерия"), to_iso("Нігер"), to_iso("Нігерія")) == ("NE", "NG", "NE", "NG")
    assert (to_iso("Sudan"), to_iso("South Sudan")) == ("SD", "SS")
    assert (to_iso("Guinea"), to_iso("Guinea-Bissau"), to_iso("Equatorial Guinea")) == ("GN", "GW", "GQ")
    assert (to_iso("Dominica"), to_iso("Dominican Republic")) == ("DM", "DO")
    assert (to_iso("Austria"), to_iso("Australia")) == ("AT", "AU")
    assert (to_iso("Iran"), to_iso("Iraq")) == ("IR", "IQ")


def test_a_name_two_countries_share_maps_to_neither():
    # no ISO name is shared today; should pycountry ever give two countries one name, neither gets it
    keys = countries._unique_keys([("Congo", "CG"), ("CONGO", "CD"), ("Kongas", "CG"), ("Kongas", "CG")])
    assert keys == {"kongas": "CG"}


def test_blank_and_non_text_input():
    for value in (None, np.nan, "", "   ", 3.5):
        assert to_iso(value) is None
    iso, unmatched = normalise_countries(pd.Series(["Eritrėja", "Гудија", None, "DRC", "Niger "]))
    assert iso.tolist()[0] == "ER" and pd.isna(iso.iloc[1]) and pd.isna(iso.iloc[2])
    assert iso.tolist()[3:] == ["CD", "NE"]
    assert unmatched.tolist() == [False, True, False, False, False]


def test_module_examples():
    res = doctest.testmod(countries, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert res.failed == 0 and res.attempted >= 2, res


def test_country_table_and_display_names():
    table = country_table()
    assert len(table) == 250  # 249 ISO countries and Kosovo (XK), which ISO 3166-1 does not assign
    assert table["iso2"].is_unique and table["iso2"].is_monotonic_increasing
    assert (table[["iso2", "iso3", "name_en", "name_lt", "name_ru", "name_uk"]] != "").all().all()
    # the project's display names where ISO's are formal; ISO's (pycountry) elsewhere
    assert [country_name("RU", lang) for lang in ("en", "lt", "ru", "uk")] == ["Russia", "Rusija", "Россия", "Росія"]
    assert [country_name("CD", lang) for lang in ("en", "lt", "ru", "uk")] == [
        "DR Congo", "Kongo Demokratinė Respublika", "Демократическая Республика Конго", "Демократична Республіка Конго"]
    assert [country_name("ER", lang) for lang in ("en", "lt", "ru", "uk")] == ["Eritrea", "Eritrėja", "Эритрея",
                                                                                "Еритрея"]
    assert country_name("BO") == "Bolivia" and country_name("TR") == "Turkey" and country_name("XK", "lt") == "Kosovas"
    with pytest.raises(NeedsAnalysisError, match="unknown country code"):
        country_name("QQ")


def test_a_project_table_is_checked_and_goes_on_top(tmp_path):
    header = "iso2,iso3,name_en,name_lt,name_ru,name_uk,aliases\n"
    ok = tmp_path / "ok.csv"
    ok.write_text(header + "ER,ERI,,,,,Eritreja\nXK,XKX,Kosovo,Kosovas,Косово,Косово,\n", encoding="utf-8")
    assert to_iso("Eritreja", path=ok) == "ER" and to_iso("Eritreja") is None  # the alias is the table's
    assert to_iso("Somalis", path=ok) == "SO"  # ISO names stay known with any table
    assert country_name("ER", "lt", path=ok) == "Eritrėja"  # blank cell: ISO's name
    wrong_iso3 = tmp_path / "wrong.csv"
    wrong_iso3.write_text(header + "ER,ERT,Eritrea,,,,\n", encoding="utf-8")
    with pytest.raises(NeedsAnalysisError, match="ER has alpha-3 'ERT'"):
        to_iso("Eritrea", path=wrong_iso3)
    no_name = tmp_path / "noname.csv"
    no_name.write_text(header + "XK,XKX,Kosovo,,Косово,Косово,\n", encoding="utf-8")
    with pytest.raises(NeedsAnalysisError, match="'XK' is not an ISO 3166-1 alpha-2 code and has a blank name"):
        to_iso("Kosovo", path=no_name)
    twice = tmp_path / "twice.csv"
    twice.write_text(header + "CD,COD,,,,,Congo\nCG,COG,,,,,Congo\n", encoding="utf-8")
    with pytest.raises(NeedsAnalysisError, match="ambiguous names: 'Congo' \\(CD and CG\\)"):
        to_iso("Congo", path=twice)


# ---------------------------------------------------------------- the demo data
#: the generator's unlisted countries (English names in ``citizenship_other``) and their codes
_OTHER_ISO = {"Egypt": "EG", "Vietnam": "VN", "Brazil": "BR", "Mongolia": "MN", "Iran": "IR", "Jordan": "JO",
              "Israel": "IL", "Serbia": "RS", "Mexico": "MX", "Canada": "CA"}


@pytest.mark.skipif(not (DATA / "raw" / "vilnius.xlsx").is_file(), reason="demo data not generated")
def test_demo_respondents_get_their_true_citizenship():
    """Every demo respondent left after cleaning has the generator's citizenship, citgrp and ISO code."""
    from needs_analysis import synthetic

    pop = synthetic.build_population(synthetic.DEFAULT_SEED)
    truth = synthetic.draw_sample(pop, synthetic.DEFAULT_SEED).set_index("_uuid")
    assert set(truth["citizenship_other"].dropna()) <= set(_OTHER_ISO)
    cb = load_codebook()
    checked = typed = 0
    for m in MUNICIPALITY_IDS:
        res = clean(harmonise(read_raw(DATA / "raw" / f"{m}.xlsx").data, cb, source=m), m, codebook=cb)
        data = res.data.set_index("respondent_id")
        data = data[data.index.isin(truth.index)]  # planted extra rows have no truth
        true = truth.loc[data.index]
        true_iso = true["citizenship"].where(true["citizenship"] != "other_country",
                                             true["citizenship_other"].map(_OTHER_ISO))
        assert data["citizenship"].tolist() == true["citizenship"].tolist(), m
        assert data["citizenship_iso"].tolist() == true_iso.tolist(), m
        assert data["citgrp"].tolist() == true["citgrp"].tolist(), m
        checked += len(data)
        typed += int((true["citizenship"] == "other_country").sum())
    assert checked > 1000 and typed >= 10
