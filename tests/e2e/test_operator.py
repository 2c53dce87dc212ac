"""Operators: approve or reject new shops with one tap, exactly once; merchants hear the outcome
in their language; only approved shops are findable; /pending; approval switched off."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import Config
from bot.models import Shop, ShopStatus
from bot.services import search, shops
from bot.services.shops import ShopDraft
from bot.services.users import ensure_user
from tests.e2e.conftest import OPERATOR_ID
from tests.e2e.test_newshop import LAT, LNG, register_shop
from tests.fakes.telegram import FakeTelegram

SECOND_OPERATOR = 901


async def pending_shop(owner: int, name: str) -> Shop:
    """A shop waiting for approval, registered directly (no operator message)."""
    await ensure_user(owner, "Max", None, "en")
    draft = ShopDraft(
        name=name, category="laundry", lat=LAT, lng=LNG, address="1 Road", phone="+8613812345678"
    )
    return await shops.create_shop(owner, draft, require_approval=True)


async def findable(shop_id: int) -> bool:
    page = await search.nearby(LAT, LNG, 1000)
    return shop_id in [hit.shop_id for hit in page.hits]


async def test_approve_tells_the_merchant_and_makes_the_shop_findable(
    bot, tg: FakeTelegram
) -> None:
    max_ = tg.user(30, first_name="Max", username="maxnoodles", language_code="en")
    await register_shop(max_, name="Max <Noodles>")
    shop = await Shop.get(owner_id=30)
    assert not await findable(shop.id)

    olga = tg.user(OPERATOR_ID)
    review = await olga.reply()
    assert "waiting for approval" in review.text and "Max <Noodles>" in review.text
    assert "+86 138 1234 5678" in review.text and "@maxnoodles" in review.text
    assert review.button_texts == ["✅ Approve", "❌ Reject", "👀 View page"]

    await olga.press(review, text="✅ Approve")
    assert (await olga.callback_answer())["text"] == "✅ live"
    news = await max_.reply()
    assert "Max <Noodles> has been approved" in news.text
    assert (await Shop.get(id=shop.id)).status == ShopStatus.APPROVED
    assert await findable(shop.id)
    await olga.wait_for(lambda: not review.buttons)
    assert "Decision: ✅ live (by Olga)" in review.text

    await olga.press_data(review.message_id, f"opr:no:{shop.id}")  # a second tap
    answer = await olga.callback_answer()
    assert "already decided" in answer["text"] and answer["show_alert"]
    assert (await Shop.get(id=shop.id)).status == ShopStatus.APPROVED
    assert await findable(shop.id)


async def test_reject_tells_a_chinese_merchant_and_keeps_the_shop_hidden(
    bot, tg: FakeTelegram
) -> None:
    li = tg.user(31, first_name="李雷", language_code="zh-hans")
    await li.send("/start")
    await li.reply()
    shop = await pending_shop(31, "老李洗衣")
    olga = tg.user(OPERATOR_ID)
    await olga.send("/pending")
    count, review = await olga.replies(2)
    assert "1 shop is waiting" in count.text and "老李洗衣" in review.text
    await olga.press(review, text="❌ Reject")
    await olga.callback_answer()
    news = await li.reply()
    assert "老李洗衣 未通过审核" in news.text
    assert (await Shop.get(id=shop.id)).status == ShopStatus.REJECTED
    assert not await findable(shop.id)
    await olga.send("/pending")
    assert "No shops are waiting" in (await olga.reply()).text


async def test_only_operators_may_decide_or_list(bot, tg: FakeTelegram) -> None:
    shop = await pending_shop(32, "Quiet Cuts")
    eve = tg.user(33, language_code="en")
    await eve.send("/pending")
    refusal = await eve.reply()
    assert "only for the platform's operators" in refusal.text and not refusal.buttons
    await eve.press_data(refusal.message_id, f"opr:ok:{shop.id}")
    assert "not allowed" in (await eve.callback_answer())["text"]
    await eve.press_data(refusal.message_id, f"opr:view:{shop.id}")
    assert "not allowed" in (await eve.callback_answer())["text"]
    assert (await Shop.get(id=shop.id)).status == ShopStatus.PENDING
    assert not await findable(shop.id)

    olga = tg.user(OPERATOR_ID)
    await olga.send("/start")
    await olga.reply()
    await olga.press_data(1, "opr:ok:999999")  # no such shop
    assert "expired" in (await olga.callback_answer())["text"]
    await olga.press_data(1, f"opr:maybe:{shop.id}")
    assert "expired" in (await olga.callback_answer())["text"]
    assert (await Shop.get(id=shop.id)).status == ShopStatus.PENDING


async def test_operator_views_the_page_and_pending_lists_the_oldest_first(
    bot, tg: FakeTelegram
) -> None:
    older = await pending_shop(34, "Older Wash")
    await pending_shop(35, "Newer Wash")
    olga = tg.user(OPERATOR_ID)
    await olga.send("/pending")
    count, first, second = await olga.replies(3)
    assert "2 shops are waiting" in count.text
    assert "Older Wash" in first.text and "Newer Wash" in second.text
    await olga.press(first, text="👀 View page")
    venue, page = await olga.replies(2)
    assert venue.venue["title"] == "Older Wash" and "Older Wash" in page.text
    await olga.press(first, text="✅ Approve")
    await olga.callback_answer()
    assert await findable(older.id)


class TestTwoOperators:
    @pytest.fixture
    def config(self, config: Config) -> Config:
        return config.with_(operators=frozenset({OPERATOR_ID, SECOND_OPERATOR}))

    async def test_the_second_operator_sees_it_was_already_decided(
        self, bot, tg: FakeTelegram
    ) -> None:
        pat = tg.user(SECOND_OPERATOR, first_name="Pat", language_code="zh-hans")
        await pat.send("/start")  # Pat reads Chinese
        await pat.reply()
        max_ = tg.user(36, language_code="en")
        await register_shop(max_, name="Twice Noodles")
        olga = tg.user(OPERATOR_ID)
        olga_review = await olga.reply()
        pat_review = await pat.reply()
        assert "有新店铺等待审核" in pat_review.text and "✅ 通过" in pat_review.button_texts

        await olga.press(olga_review, text="❌ Reject")
        await olga.callback_answer()
        assert "was not approved" in (await max_.reply()).text
        await pat.press(pat_review, text="✅ 通过")
        answer = await pat.callback_answer()
        assert "已经审核过了：❌ 未通过" in answer["text"]
        await pat.wait_for(lambda: not pat_review.buttons)
        assert "已审核：❌ 未通过" in pat_review.text
        shop = await Shop.get(owner_id=36)
        assert shop.status == ShopStatus.REJECTED and not await findable(shop.id)
        verdicts = [m.text for m in max_.inbox if "approved" in (m.text or "")]
        assert len(verdicts) == 1 and "not approved" in verdicts[0]  # told once, the truth


class TestWithoutApproval:
    @pytest.fixture
    def config(self, config: Config) -> Config:
        return config.with_(shops=replace(config.shops, require_approval=False))

    async def test_a_new_shop_is_live_at_once(self, bot, tg: FakeTelegram) -> None:
        max_ = tg.user(37, language_code="en")
        done = await register_shop(max_, name="Instant Noodles")
        assert "“Instant Noodles” is live" in done.text
        shop = await Shop.get(owner_id=37)
        assert shop.status == ShopStatus.APPROVED and await findable(shop.id)
        assert tg.chat_messages(OPERATOR_ID) == []  # nothing to review
        await max_.send("/myshop")
        assert "✅ live" in (await max_.reply()).text
