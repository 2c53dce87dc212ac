"""Every text the bot sends comes from the catalogues, in both languages."""

from __future__ import annotations

import re
import string
from pathlib import Path

from bot.i18n import LANGUAGES, catalogue, language_for, t

ROOT = Path(__file__).resolve().parents[2] / "bot"
KEY_USE = re.compile(r"""\bt\(\s*[\w.]+\s*,\s*f?["']([a-z_]+\.[a-z0-9_.{}]+)["']""")


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    en, zh = catalogue("en"), catalogue("zh_Hans")
    assert set(en) == set(zh), set(en) ^ set(zh)
    fields = string.Formatter()
    for key in en:
        names_en = {f for _, f, _, _ in fields.parse(en[key]) if f}
        names_zh = {f for _, f, _, _ in fields.parse(zh[key]) if f}
        assert names_en == names_zh, key


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


def test_language_choice() -> None:
    assert language_for("zh-hans") == "zh_Hans"
    assert language_for("zh-CN") == "zh_Hans"
    assert language_for("en-US") == "en"
    assert language_for(None) == "en"
    assert set(LANGUAGES) == {"en", "zh_Hans"}
    assert t("zh_Hans", "menu.nearby") != t("en", "menu.nearby")


def test_categories_have_names_in_both_languages() -> None:
    from bot.config import load_config

    for category in load_config(env={}).categories:
        for lang in LANGUAGES:
            assert t(lang, f"category.{category}") != f"category.{category}"
