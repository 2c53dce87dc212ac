"""Button-data codecs: what goes out comes back, nothing else gets in."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram.ext import CallbackQueryHandler, ConversationHandler

from bot.app import build_application
from bot.config import load_config
from bot.models import PromotionAudience
from bot.ui.callbacks import MAX_BYTES, REGISTRY, AnyOf, CallbackData, CallbackDataError, Id


class Sample(CallbackData, prefix="tsmp"):
    pass


class Move(Sample, action="mv"):
    shop_id: Id
    index: int
    hidden: bool
    side: Literal["l", "r"]
    audience: PromotionAudience
    promotion_id: Id | None = None


class Note(Sample, action="note"):
    text: str


class Single(CallbackData, prefix="tsgl"):
    shop_id: Id


ids = st.integers(min_value=1, max_value=2**31 - 1)


@given(
    shop_id=ids,
    index=st.integers(min_value=0, max_value=2**31 - 1),
    hidden=st.booleans(),
    side=st.sampled_from(["l", "r"]),
    audience=st.sampled_from(list(PromotionAudience)),
    promotion_id=st.none() | ids,
)
def test_round_trip(**values: Any) -> None:
    button = Move(**values)
    data = button.pack()
    assert len(data.encode()) <= MAX_BYTES
    assert Move.unpack(data) == button
    assert Sample.unpack(data) == button  # the feature's root unpacks any of its kinds
    assert CallbackData.unpack(data) == button
    assert Note.unpack(data) is None  # another kind of the same feature
    assert Move.pattern()(data) and not Note.pattern()(data)


def test_wire_format_is_short_and_readable() -> None:
    move = Move(shop_id=3, index=0, hidden=True, side="l", audience=PromotionAudience.CATEGORY)
    assert move.pack() == "tsmp:mv:3:0:1:l:category:"
    assert Single(shop_id=42).pack() == "tsgl:42"
    assert Single.unpack("tsgl:42") == Single(shop_id=42)


@pytest.mark.parametrize(
    "data",
    [
        "tsgl:0",  # ids are positive
        "tsgl:-1",
        "tsgl:2147483648",  # would overflow a 32-bit column
        "tsgl:99999999999999999999",
        "tsgl:007",  # not how we write numbers: forged
        "tsgl:+7",
        "tsgl:7 ",
        "tsgl:²",  # a Unicode digit
        "tsgl:1e3",
        "tsgl:",
        "tsgl",
        "tsgl:1:2",  # too many fields
        "tsmp:mv:3:0:1:l",  # too few
        "tsmp:mv:3:0:2:l:category:",  # bool is 0 or 1
        "tsmp:mv:3:0:1:x:category:",  # not a choice
        "tsmp:mv:3:0:1:l:everyone:",  # not an audience
        "tsmp:mv:3:0:1:l:category:0",
        "tsmp:zap:1",  # no such action
        "tsmp",
        "nope:1",  # no such feature
        "",
        ":",
        "tsmp:note:" + "x" * 33,  # longer than a str field may be
        "tsmp:note:a b",
        None,
        123,
    ],
)
def test_malformed_or_forged_data_is_refused(data: object) -> None:
    assert CallbackData.unpack(data) is None
    assert not Single.pattern()(data) and not Sample.pattern()(data)


def test_packing_refuses_what_could_not_come_back() -> None:
    with pytest.raises(ValueError):
        Single(shop_id=2**31).pack()
    with pytest.raises(ValueError):
        Single(shop_id=0).pack()
    with pytest.raises(ValueError):
        Note(text="has:colon").pack()


def test_data_longer_than_telegram_allows_is_refused_both_ways() -> None:
    class Long(Sample, action="long"):
        a: str
        b: str

    fits = Long(a="a" * 25, b="b" * 25)  # tsmp:long: + 25 + : + 25 = 61 bytes
    assert Long.unpack(fits.pack()) == fits
    with pytest.raises(ValueError, match="64 bytes"):
        Long(a="a" * 30, b="b" * 30).pack()
    assert Long.unpack("tsmp:long:" + "a" * 30 + ":" + "b" * 30) is None


def test_a_prefix_or_action_is_taken_once() -> None:
    with pytest.raises(CallbackDataError, match="already"):

        class Clash(CallbackData, prefix="tsgl"):
            other: int

    with pytest.raises(CallbackDataError, match="already"):

        class AlsoMove(Sample, action="mv"):
            pass

    assert REGISTRY["tsgl"] is Single


def test_declaration_mistakes_fail_at_import() -> None:
    with pytest.raises(CallbackDataError, match="unsupported"):

        class Floaty(CallbackData, prefix="tflt"):
            value: float

    with pytest.raises(CallbackDataError, match="prefix"):

        class Shouting(CallbackData, prefix="LOUD"):
            pass

    with pytest.raises(CallbackDataError, match="root without fields"):

        class UnderSingle(Single, action="x"):
            pass


def _callback_handlers(handlers: list[Any]) -> list[CallbackQueryHandler[Any, Any]]:
    found = []
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            inner = [*handler.entry_points, *handler.fallbacks]
            inner += [h for state in handler.states.values() for h in state]
            found += _callback_handlers(inner)
        elif isinstance(handler, CallbackQueryHandler):
            found.append(handler)
    return found


def _codecs_of(pattern: object) -> tuple[type[CallbackData], ...]:
    if isinstance(pattern, AnyOf):
        return pattern.kinds
    owner = getattr(pattern, "__self__", None)
    assert isinstance(owner, type) and issubclass(owner, CallbackData), pattern
    return (owner,)


def test_every_button_of_the_app_has_a_codec_and_a_handler(tmp_path: Path) -> None:
    """After building the app: every press handler matches through a registered codec (no
    hand-typed pattern), the only pattern-less one is the catch-all, and every kind of button
    the bot can send has a handler."""
    config = load_config(env={}).with_(
        token="123:TEST", persistence_file=str(tmp_path / "conversations.pickle")
    )
    app = build_application(config)
    handlers = _callback_handlers([h for group in app.handlers.values() for h in group])
    assert [h.callback.__name__ for h in handlers if h.pattern is None] == ["stale_button"]
    covered = {codec for h in handlers if h.pattern is not None for codec in _codecs_of(h.pattern)}
    ours = [root for root in REGISTRY.values() if root.__module__.startswith("bot.")]
    assert {root.__prefix__ for root in ours} >= {"cpn", "wlt", "shop", "fol", "nshop"}
    for root in ours:
        assert REGISTRY[root.__prefix__] is root  # one feature per prefix
        for kind in root.__kinds__.values():
            assert any(issubclass(kind, codec) for codec in covered), kind


class Page(CallbackData, prefix="tpg"):
    pass


class OpenPage(Page, default=True):
    shop_id: Id


class TurnPage(Page, action="turn"):
    shop_id: Id
    page: int


def test_a_features_default_kind_goes_without_an_action() -> None:
    assert OpenPage(shop_id=5).pack() == "tpg:5"
    assert TurnPage(shop_id=5, page=2).pack() == "tpg:turn:5:2"
    assert Page.unpack("tpg:5") == OpenPage(shop_id=5)
    assert Page.unpack("tpg:turn:5:2") == TurnPage(shop_id=5, page=2)
    assert TurnPage.unpack("tpg:5") is None and OpenPage.unpack("tpg:turn:5:2") is None
    for forged in ("tpg:turn:5", "tpg:x:5", "tpg:0", "tpg:5:1", "tpg"):
        assert Page.unpack(forged) is None, forged


def test_a_default_kind_must_not_read_as_an_action() -> None:
    with pytest.raises(CallbackDataError, match="starts with a number"):

        class ByName(Page, default=True):
            name: str

    with pytest.raises(CallbackDataError, match="already"):

        class AnotherDefault(Page, default=True):
            page: int
