"""The fitting helper every screen goes through (bot/ui/text.py), checked against the fake
server's parser — the same one that accepts or refuses the bot's messages in the e2e tests."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.formatting import h
from bot.ui.text import (
    CAPTION_MAX,
    TEXT_MAX,
    block,
    cut,
    cut_html,
    fit,
    fit_html,
    fit_message,
    measure,
    pages,
    shorten,
    units,
)
from tests.fakes.telegram_markup import parse_formatted, utf16_len

TAGS = ["b", "i", "u", "s", "code", "tg-spoiler"]


def shown(markup: str) -> str:
    """What Telegram shows for the markup (raises if it would refuse it)."""
    return parse_formatted(markup, "HTML").text


def test_measure_counts_as_telegram_does() -> None:
    for markup in ("<b>a &amp; b</b>", "  x  ", "😀<i>é</i>", "&lt;tag&gt;", "中文 &quot;"):
        assert measure(markup) == utf16_len(shown(markup))


def test_exactly_the_limit_is_left_alone_and_one_more_is_cut() -> None:
    exact = "<b>" + "a" * (TEXT_MAX - 1) + "</b>" + "&amp;"
    assert measure(exact) == TEXT_MAX
    assert fit_html(exact) == exact
    over = exact + "b"
    cut_down = fit_html(over)
    assert utf16_len(shown(cut_down)) <= TEXT_MAX
    assert shown(cut_down).endswith("…")


def test_an_entity_is_one_character_and_never_split() -> None:
    markup = "x" * 10 + "&amp;" * 10
    assert measure(markup) == 20
    for limit in range(1, 20):
        out = cut_html(markup, limit)
        assert utf16_len(shown(out)) <= limit
        assert shown(out).rstrip("…") == ("x" * 10 + "&" * 10)[: len(shown(out)) - 1]
        assert out.count("&") == out.count("&amp;")  # whole entities only


def test_surrogate_pairs_count_two_and_are_never_split() -> None:
    exact = "😀" * (TEXT_MAX // 2)
    assert units(exact) == TEXT_MAX and fit_html(exact) == exact
    out = fit_html(exact + "😀")
    assert utf16_len(shown(out)) <= TEXT_MAX
    assert set(shown(out)) == {"😀", "…"}
    assert shorten("ab😀", 3) == "ab…"  # the emoji's two units do not fit beside "…"


def test_a_tag_at_the_cut_is_closed_or_left_out() -> None:
    before = "a" * 20
    for markup in (
        before + "<b>bold words</b> after",
        before + "<i><b>deep</b></i>",
        before + "<b>x</b>y<b>z</b>",
        "<a href='https://example.com/?a=1&amp;b=2'>" + before + "</a>",
        before + '<span class="tg-spoiler">secret</span>',
    ):
        for limit in range(1, measure(markup) + 1):
            out = cut_html(markup, limit)
            assert utf16_len(shown(out)) <= limit, (markup, limit, out)
    assert cut_html(before + "<b>bold</b>", 21) == before + "…"  # no empty <b></b> left


def test_combining_marks_flags_and_emoji_sequences_stay_whole() -> None:
    assert shorten("e\u0301e\u0301e\u0301", 4) == "e\u0301…"
    assert shorten("🇨🇳🇯🇵🇫🇷", 9) == "🇨🇳🇯🇵…"
    assert shorten("ok 👩‍👩‍👧 family", 6) == "ok…"
    assert shorten("👍🏽👍🏽", 5) == "👍🏽…"
    assert shorten("", 0) == "" and shorten("abc", 0) == ""


def test_plain_messages_are_cut_as_plain_text() -> None:
    text = "<3 " * 2000
    out = fit_message(text, None)
    assert units(out) <= TEXT_MAX and out.startswith("<3 <3")
    assert fit_message("short <b>", None) == "short <b>"


def test_fit_shortens_evenly_then_drops_the_last_blocks_with_a_note() -> None:
    parts = [
        block("<b>Shop &amp; Co</b>"),
        block(cut("d" * 1000, 200, markup="<i>", end="</i>", name="about")),
        *[block(f"• item {n}", cut("s" * 500, 40, markup="  "), drop=1) for n in range(8)],
    ]
    fitted = fit(parts, more=lambda n: f"<i>{n} more</i>")
    assert fitted.dropped == 0 and not fitted.complete and "about" in fitted.cut
    text = shown(fitted.html)
    assert utf16_len(text) <= TEXT_MAX
    assert all(f"• item {n}" in text for n in range(8))
    lengths = {len(line.strip()) for line in text.splitlines() if line.startswith("  s")}
    assert len(lengths) == 1  # one common length

    many = parts + [block(f"• extra {n}", cut("t" * 500, 60), drop=1) for n in range(100)]
    fitted = fit(many, more=lambda n: f"<i>{n} more</i>")
    text = shown(fitted.html)
    assert utf16_len(text) <= TEXT_MAX and fitted.dropped > 0
    assert text.endswith(f"{fitted.dropped} more")
    assert "• item 0" in text and "• extra 99" not in text


def test_higher_drop_ranks_go_first_and_a_fitting_screen_is_untouched() -> None:
    parts = [
        block("head"),
        block("a" * 3000, drop=1),
        block("b" * 3000, drop=2),
        block("tail"),
    ]
    fitted = fit(parts, more=lambda n: f"({n} left out)")
    assert fitted.html == "head\n" + "a" * 3000 + "\n(1 left out)\ntail"
    small = [block("x &lt; y"), block(cut("words", 1))]
    assert fit(small).html == "x &lt; y\nwords" and fit(small).complete


def test_pages_pack_blocks_in_order_within_the_limit() -> None:
    parts = [block(f"line {n}", "z" * 900, drop=1) for n in range(10)]
    packed = pages(parts, 2000, most=3)
    assert [len(page) for page in packed] == [2, 2, 2, 2, 2]
    assert pages(parts, 10_000, most=3)[0] == parts[:3]
    assert pages([], 100) == [[]]


RANDOM_TEXT = st.text(
    alphabet=st.sampled_from([*"ab <>&\"' \n", "é", "\u0301", "中", "😀", "\u202e", "\U0001f1e8"]),
    max_size=60,
)


@st.composite
def markup(draw: st.DrawFn) -> str:
    """HTML the bot could build: escaped user text inside nested, well-formed tags."""
    pieces = []
    for _ in range(draw(st.integers(1, 6))):
        text = h(draw(RANDOM_TEXT))
        for tag in draw(st.lists(st.sampled_from(TAGS), max_size=2)):
            opening = '<span class="tg-spoiler">' if tag == "tg-spoiler" else f"<{tag}>"
            closing = "</span>" if tag == "tg-spoiler" else f"</{tag}>"
            text = opening + text + closing
        pieces.append(text)
    return "".join(pieces)


@settings(max_examples=300, deadline=None)
@given(markup(), st.integers(1, 120))
def test_any_cut_parses_fits_and_keeps_a_prefix(source: str, limit: int) -> None:
    out = cut_html(source, limit)
    text = shown(out)  # Telegram would accept it
    assert utf16_len(text) <= limit
    full = shown(source)
    if out != source:
        assert full.startswith(text[:-1].rstrip()) and text.endswith("…")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(RANDOM_TEXT, st.integers(0, 3)), max_size=30), st.integers(20, 400))
def test_fit_always_fits(items: list[tuple[str, int]], limit: int) -> None:
    parts = [block(cut(text * 5, 3, markup="<b>•</b> "), drop=rank) for text, rank in items]
    fitted = fit([block("<b>title</b>"), *parts], limit, more=lambda n: f"<i>+{n}</i>")
    assert utf16_len(shown(fitted.html)) <= limit
    assert CAPTION_MAX < TEXT_MAX
