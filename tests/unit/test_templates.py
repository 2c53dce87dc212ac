"""Per-recipient text: templates filled at send time in the reader's language with their name;
a shop's text can never inject HTML; unknown placeholders stay as typed; bundles."""

from __future__ import annotations

from bot.sender import render
from bot.services.templates import fill, recipient_name, render_part, render_text

HOSTILE = '<b>{name}</b> & {shop} {unknown} {0} { } {name'


def test_fill_escapes_values_and_keeps_unknown_placeholders() -> None:
    filled = fill("<b>{name}</b>", {"name": "<i>Ann</i> & co"})
    assert filled == "<b>&lt;i&gt;Ann&lt;/i&gt; &amp; co</b>"
    assert fill("{a} {b} {0} {} {a", {"a": "x"}) == "x {b} {0} {} {a"
    assert fill("{a}", {"a": "{b}", "b": "no"}) == "{b}"  # values are not filled again


def test_a_shops_text_is_escaped_as_a_whole() -> None:
    part = {"template_text": HOSTILE, "params": {"shop": "Wang & <Sons>"}}
    text = render_part(part, "en", "<Ann>")
    assert text == (
        "&lt;b&gt;&lt;Ann&gt;&lt;/b&gt; &amp; Wang &amp; &lt;Sons&gt; {unknown} {0} { } {name"
    )
    assert "<" not in text


def test_a_catalogue_template_in_the_readers_language() -> None:
    part = {"template": "greetings.birthday", "params": {"shop": "老王<面馆>"}}
    en = render_part(part, "en", "Ann")
    zh = render_part(part, "zh_Hans", "小美")
    hant = render_part(part, "zh_Hant", "小美")
    assert en.startswith("🎂 Happy birthday, Ann!") and en.endswith("— 老王&lt;面馆&gt;")
    assert zh.startswith("🎂 小美，生日快乐！") and zh.endswith("——老王&lt;面馆&gt; 敬上")
    assert hant.startswith("🎂 小美，生日快樂！")


def test_a_gift_line_under_its_part_and_bundles() -> None:
    one = {"template": "greetings.mid_autumn", "params": {"shop": "A"}, "gift": "<Free> cake"}
    two = {"template_text": "Hi {name}, from {shop}", "params": {"shop": "B"}}
    text = render_text({"bundle": [one, two]}, "en", "Ann")
    assert text is not None
    first, second = text.split("\n\n")
    gift = "🎁 A little gift is waiting in your coupons: <b>&lt;Free&gt; cake</b>"
    assert first.endswith(f"— A\n{gift}")
    assert second == "Hi Ann, from B"
    assert render_text({"text": "plain"}, "en", "Ann") is None


def test_the_sender_renders_for_each_reader() -> None:
    payload = {
        "template": "greetings.national_day",
        "params": {"shop": "Noodles"},
        "buttons": [[{"text": {"en": "Stop", "zh_Hans": "停"}, "callback_data": "x:1"}]],
    }
    en, zh = render(payload, "en", "Ann"), render(payload, "zh_Hans", "伟")
    assert en.text.startswith("🇨🇳 Happy National Day, Ann!")
    assert zh.text.startswith("🇨🇳 伟，国庆快乐！")
    assert zh.reply_markup is not None and zh.reply_markup.inline_keyboard[0][0].text == "停"
    assert render({"text": {"en": "Hello"}}, "en").text == "Hello"  # the old forms unchanged


def test_what_a_message_calls_its_reader() -> None:
    assert recipient_name("Annie", "Ann", "en") == "Annie"
    assert recipient_name(None, "Ann", "en") == "Ann"
    assert recipient_name("  ", "", "en") == "friend"
    assert recipient_name(None, None, "zh_Hans") == "朋友"
