"""Every text the bot sends comes from the catalogues, in every language, with plural forms,
units and weekdays from the catalogue too; languages offered follow config.yaml."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from bot import i18n
from bot.flows.coupons import percent_off
from bot.formatting import format_distance
from bot.i18n import FALLBACK, LANGUAGES, Plural, catalogue, configure, language_for, t, usable

ROOT = Path(__file__).resolve().parents[2] / "bot"
KEY_USE = re.compile(r"""\bt\(\s*[\w.]+\s*,\s*f?["']([a-z_]+\.[a-z0-9_.{}]+)["']""")
#: Frequent characters found only in Simplified Chinese (a leftover: an unconverted text).
SIMPLIFIED_ONLY = set(
    "们这个为说时对会发么国门优铺顾间选关东号码费广页图条务设语围动开钟员经营过还"
)


def forms(entry: i18n.Entry) -> tuple[str, ...]:
    return entry.forms if isinstance(entry, Plural) else (entry,)


def placeholders(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_there_are_three_catalogues() -> None:
    assert set(LANGUAGES) == {"en", "zh_Hans", "zh_Hant"}


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != FALLBACK])
def test_every_language_has_the_same_keys_and_placeholders(lang: str) -> None:
    en, other = catalogue(FALLBACK), catalogue(lang)
    assert set(en) == set(other), set(en) ^ set(other)
    for key, entry in en.items():
        expected = placeholders(forms(entry)[0])
        assert isinstance(other[key], Plural) == isinstance(entry, Plural), key
        for form in (*forms(entry), *forms(other[key])):
            assert placeholders(form) == expected, (lang, key, form)


def test_every_zh_hans_file_has_its_generated_zh_hant_file() -> None:
    """After adding or changing a zh_Hans file, run `make zh-hant` (scripts/make_zh_hant.py)."""
    locales = ROOT / "locales"
    hans = {p.name for p in (locales / "zh_Hans" / "LC_MESSAGES").glob("*.po")}
    hant = {p.name for p in (locales / "zh_Hant" / "LC_MESSAGES").glob("*.po")}
    assert hans == hant, "run `make zh-hant`"


def test_traditional_chinese_is_traditional() -> None:
    hant = catalogue("zh_Hant")
    leftovers = {
        key: form
        for key, entry in hant.items()
        for form in forms(entry)
        if key != "language.zh_Hans" and SIMPLIFIED_ONLY & set(form)
    }
    assert not leftovers, leftovers
    assert t("zh_Hant", "settings.language_set") == "已切換為繁體中文。"
    assert t("zh_Hant", "menu.settings") == "⚙️ 設定"


def test_every_key_used_in_code_exists() -> None:
    en = catalogue("en")
    missing = []
    for path in ROOT.rglob("*.py"):
        for key in KEY_USE.findall(path.read_text(encoding="utf-8")):
            if "{" in key:  # f-string: check the prefix has some key
                prefix = key.split("{", 1)[0]
                if not any(k.startswith(prefix) for k in en):
                    missing.append(f"{path.name}: {key}")
            elif key not in en:
                missing.append(f"{path.name}: {key}")
    assert not missing, missing


def test_plural_forms_follow_the_catalogue() -> None:
    assert t("en", "operator.photo_count", count=1) == "1 photo"
    assert t("en", "operator.photo_count", count=0) == "0 photos"
    assert t("en", "operator.photo_count", count=2) == "2 photos"
    assert t("zh_Hans", "operator.photo_count", count=1) == "1 张照片"
    assert t("zh_Hans", "operator.photo_count", count=5) == "5 张照片"
    assert t("zh_Hant", "operator.photo_count", count=5) == "5 張照片"
    assert t("en", "coupons.line_valid_days", count=1) == "⏳ Valid for 1 day after claiming"
    assert (
        t("en", "sender.report_delivered", delivered=1, count=1) == "📬 Delivered to 1 of 1 person"
    )
    with pytest.raises(TypeError, match="count"):
        t("en", "operator.photo_count")
    assert not any("(s)" in form for e in catalogue("en").values() for form in forms(e))


def test_units_come_from_the_catalogue() -> None:
    assert format_distance(350, "en") == "350 m"
    assert format_distance(1500, "zh_Hans") == "1.5 公里"
    assert format_distance(350, "zh_Hant") == "350 公尺"
    assert format_distance(2000, "en", exact=False) == "2 km"


def test_language_choice_by_telegram_code() -> None:
    configure(("zh_Hans", "zh_Hant", "en"), "en")
    for code in ("zh-hant", "zh-TW", "zh-hk", "zh-MO", "zh-Hant-TW", "zh_hant"):
        assert language_for(code) == "zh_Hant", code
    for code in ("zh", "zh-hans", "zh-CN", "zh-sg", "zh-Hans-HK", "zh_Hans"):
        assert language_for(code) == "zh_Hans", code
    assert language_for("en-US") == "en"
    assert language_for("de") == "en"
    assert language_for(None) == "en"
    assert t("zh_Hans", "menu.nearby") != t("en", "menu.nearby")


def test_only_configured_languages_are_chosen() -> None:
    configure(("zh_Hans",), "en")  # a fallback that is not offered: the first one instead
    assert i18n.offered().fallback == "zh_Hans"
    assert language_for("en") == "zh_Hans"
    assert language_for("zh-TW") == "zh_Hans"  # the other Chinese script beats English
    assert usable("en") == "zh_Hans"
    configure(("zh_Hant", "en"), "en")
    assert language_for("zh-CN") == "zh_Hant"
    assert language_for("fr") == "en"
    assert usable("zh_Hans") == "zh_Hant"
    with pytest.raises(ValueError, match="klingon"):
        configure(("en", "klingon"), "en")


def test_categories_have_names_in_every_language() -> None:
    from bot.config import load_config

    for category in load_config(env={}).categories:
        for lang in LANGUAGES:
            assert t(lang, f"category.{category}") != f"category.{category}"


@pytest.mark.parametrize(
    ("typed", "off"),
    [
        ("8", 20),
        ("8.5", 15),
        ("8折", 20),
        ("八折", 20),
        ("八五折", 15),
        ("85折", 15),
        ("９.５", 5),
        ("0.1", 99),
        ("9.9", 1),
        ("20%", 20),
        ("20％", 20),
    ],
)
def test_chinese_merchants_type_zhe(typed: str, off: int) -> None:
    assert percent_off(typed, zhe=True) == off


@pytest.mark.parametrize("typed", ["0", "10", "88", "20", "8.55", "10折", "80折", "abc", ""])
def test_bad_zhe_is_refused(typed: str) -> None:
    assert percent_off(typed, zhe=True) is None


def test_english_merchants_type_percent_off() -> None:
    assert percent_off("20", zhe=False) == 20
    assert percent_off("8.5", zhe=False) is None
    assert percent_off("100", zhe=False) is None
