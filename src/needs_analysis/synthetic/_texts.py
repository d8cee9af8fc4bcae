"""Free-text answers in the four questionnaire languages (for "other, specify" fields)."""

from __future__ import annotations

__all__ = ["LT_BARRIER_OTHER", "OTHER_COUNTRY_I18N", "NATIVE_COUNTRY_NAMES"]

#: what respondents type in ``lt_barriers_other``, by questionnaire language
LT_BARRIER_OTHER: dict[str, tuple[str, ...]] = {
    "lt": ("Dirbu pamainomis", "Trūksta motyvacijos", "Kursai vyksta tik dieną", "Nežinau, kur ieškoti kursų",
           "Sveikatos problemos"),
    "en": ("My shifts change every week", "No motivation", "Courses are only in the daytime",
           "I don't know where to find courses", "Health problems"),
    "ru": ("Работаю посменно", "Нет мотивации", "Курсы только днём", "Не знаю, где искать курсы",
           "Проблемы со здоровьем"),
    "uk": ("Працюю позмінно", "Немає мотивації", "Курси лише вдень", "Не знаю, де шукати курси",
           "Проблеми зі здоров'ям"),
}

#: names of third countries outside the questionnaire list, as typed in each language
OTHER_COUNTRY_I18N: dict[str, dict[str, str]] = {
    "Egypt": {"lt": "Egiptas", "ru": "Египет", "uk": "Єгипет"},
    "Vietnam": {"lt": "Vietnamas", "ru": "Вьетнам", "uk": "В'єтнам"},
    "Brazil": {"lt": "Brazilija", "ru": "Бразилия", "uk": "Бразилія"},
    "Mongolia": {"lt": "Mongolija", "ru": "Монголия", "uk": "Монголія"},
    "Iran": {"lt": "Iranas", "ru": "Иран", "uk": "Іран"},
    "Jordan": {"lt": "Jordanija", "ru": "Иордания", "uk": "Йорданія"},
    "Israel": {"lt": "Izraelis", "ru": "Израиль", "uk": "Ізраїль"},
    "Serbia": {"lt": "Serbija", "ru": "Сербия", "uk": "Сербія"},
    "Mexico": {"lt": "Meksika", "ru": "Мексика", "uk": "Мексика"},
    "Canada": {"lt": "Kanada", "ru": "Канада", "uk": "Канада"},
}

#: endonyms some respondents type instead of picking their (listed) country
NATIVE_COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "UZ": ("O'zbekiston", "Uzbekistan", "узбекистан"),
    "TJ": ("Тоҷикистон", "Tajikistan", "таджикистан"),
    "KG": ("Кыргызстан", "Kyrgyzstan", "Kirgizstan"),
    "KZ": ("Qazaqstan", "Kazakhstan", "казахстан"),
}
