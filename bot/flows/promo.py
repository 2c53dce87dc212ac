"""/promo and /flash: a shop's message to its followers, to people nearby who follow its kind of
shop, or to its customers — with an optional coupon (/promo), or as a flash deal: a coupon for a
short window and a small stock (/flash). The merchant sees the reach and the message exactly as
people get it before confirming; it then goes out through the one outbox (quiet hours, daily
limit) with live progress and a final report.

A flash deal ends when its time is up (the scheduler's timer at its end, scheduler/flash_deals.py,
set again at start-up and ending at once deals that ran out while the bot was down) or when its
last unit is claimed (a handler in CLAIM_FOLLOW_UP_GROUP runs after the wallet's claim handler
and checks the coupon's stock); then the coupon takes no more claims and every pushed message is
edited to say the deal has ended (`announce_end`).

Button data: bot/ui/buttons/promo.py (prefix `promo`), validated on every press; pushes carry
the wallet's ClaimCoupon and the follows' unfollow / mute buttons.

The Send button carries the preview's launch key (see bot.services.promotions.launch_once): it
is handled in any state of the conversation, even none, so a second press — a double tap, an
update redelivered after a crash, an old preview, after a restart whose conversation state
was not flushed yet — shows the campaign it launched instead of creating another.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from telegram import Bot, CallbackQuery, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    JobQueue,
    MessageHandler,
    filters,
)

from bot import clock, sender
from bot.config import Config
from bot.formatting import format_price, h
from bot.i18n import LANGUAGES, t
from bot.models import Coupon, Promotion, PromotionAudience, Shop, User
from bot.services import outbox, promotions
from bot.services.coupons import CouponError
from bot.services.numbers import parse_whole
from bot.services.promotions import (
    FLASH_MINUTES,
    FLASH_STOCKS,
    TEXT_MAX,
    PromotionError,
    campaign_of,
)
from bot.services.staff import NotAllowed, Permission, require, require_any, shop_if_allowed
from bot.services.weekly_reach import weekly_reach
from bot.ui.base import (
    Context,
    Deps,
    answer,
    deps,
    edit_in_place,
    expired,
    refusal_text,
    refusing,
    say,
    shop_to_manage,
)
from bot.ui.buttons.promo import (
    DropPromo,
    FlashMinutes,
    FlashOffer,
    FlashStock,
    PromoAudienceChoice,
    PromoCoupon,
    PromoShop,
    SendPromo,
)
from bot.ui.buttons.wallet import ClaimCoupon
from bot.ui.callbacks import CallbackData
from bot.ui.flow import (
    CANCEL_LABEL,
    END,
    PLAIN_TEXT,
    SKIP_LABEL,
    Flow,
    add_flow,
    cancel,
    draft,
    flow_fallbacks,
    new_draft,
    show_menu,
)
from bot.ui.keyboards import choice_keyboard, inline
from bot.ui.text import CAPTION_MAX, Line, block, cut, fit
from bot.ui.text import TEXT_MAX as MESSAGE_MAX
from bot.views.coupons import local_time, value_text
from bot.views.push import push_buttons
from scheduler import FLASH_DEAL_ENDS, RUN_HOWEVER_LATE

log = logging.getLogger(__name__)

FLOW = "promo"
# Conversation states (strings: they are persisted).
SHOP, OFFER, STOCK, MINUTES = "promo.shop", "promo.offer", "promo.stock", "promo.minutes"
TEXT, PHOTO, COUPON = "promo.text", "promo.photo", "promo.coupon"
AUDIENCE, CONFIRM = "promo.audience", "promo.confirm"
NOT_CANCEL = ~filters.COMMAND & ~CANCEL_LABEL
#: Coupons offered as buttons (newest first); older ones are rarely what a push is about.
MAX_COUPON_BUTTONS = 8
#: The merchant's words keep at least this much of a photo's caption.
PUSH_TEXT_FLOOR = 200
#: After the wallet's claim handler (group 0) has answered, check whether a flash deal sold out.
CLAIM_FOLLOW_UP_GROUP = 1


# ------------------------------------------------------------------------- the message


@dataclass(frozen=True)
class Push:
    """What a pushed promotion shows; `offer` is its coupon (a flash deal's template while
    previewing), `ends_at` and `stock` are set for flash deals."""

    shop: Shop
    text: str
    photo: str | None
    audience: PromotionAudience
    offer: Coupon | None = None
    claim_data: str | None = None
    ends_at: datetime | None = None
    stock: int | None = None


def push_text(push: Push, lang: str, config: Config) -> str:
    """The message (HTML): who it is from, the merchant's words as typed, the offer, a flash
    deal's stock and end, and why the reader gets it. Fits a photo caption (1,024) when it
    has a photo: the merchant's words give way if need be (the preview shows it)."""
    header = "flash.header" if push.ends_at else "promo.header"
    lines: list[Line | str] = [
        t(lang, header, shop=h(push.shop.name)),
        "",
        cut(push.text, PUSH_TEXT_FLOOR),
    ]
    if push.offer is not None:
        offer = value_text(lang, push.offer.kind, push.offer.value, config)
        lines += ["", f"🎟 <b>{h(push.offer.title)}</b> · {offer}"]
        if push.offer.min_spend_cents:
            spend = format_price(push.offer.min_spend_cents, config)
            lines.append(t(lang, "promo.min_spend", amount=spend))
    if push.ends_at is not None:
        end = local_time(push.ends_at, push.shop.timezone)[-5:]
        lines.append(t(lang, "flash.line", stock=push.stock or 0, end=end))
    category = t(lang, f"category.{push.shop.category}")
    why = t(lang, f"promo.why_{push.audience.value}", shop=h(push.shop.name), category=category)
    lines += ["", f"<i>{why}</i>"]
    return fit([block(*lines)], CAPTION_MAX if push.photo else MESSAGE_MAX).html


def payload_of(push: Push, config: Config) -> dict[str, Any]:
    """The outbox payload: the text in every language, the photo, the claim button and the
    unfollow / mute row."""
    buttons: list[list[dict[str, Any]]] = []
    if push.claim_data:
        label = {lang: t(lang, "promo.claim_button") for lang in LANGUAGES}
        buttons.append([{"text": label, "callback_data": push.claim_data}])
    categories = config.categories
    index = categories.index(push.shop.category) if push.shop.category in categories else -1
    audience = push.audience
    if audience == PromotionAudience.CATEGORY and index < 0:
        audience = PromotionAudience.CUSTOMERS  # no category button to offer: mute the shop
    buttons.append(push_buttons(audience, push.shop.id, index))
    payload: dict[str, Any] = {
        "text": {lang: push_text(push, lang, config) for lang in LANGUAGES},
        "buttons": buttons,
    }
    if push.photo:
        payload["photo"] = push.photo
    return payload


def ended_text(promotion: Promotion, shop: Shop, reason: str, lang: str) -> str:
    """What a flash deal's messages say once it is over (its claim button is gone)."""
    lines = [t(lang, f"flash.ended_{reason}", shop=h(shop.name)), "", cut(promotion.text, 1)]
    limit = CAPTION_MAX if promotion.photo_file_id else MESSAGE_MAX
    return fit([block(*lines)], limit).html


# ------------------------------------------------------------------------ starting


async def promo_command(update: Update, context: Context) -> str | int:
    return await _begin(update, context, flash=False)


async def flash_command(update: Update, context: Context) -> str | int:
    return await _begin(update, context, flash=True)


async def _begin(update: Update, context: Context, *, flash: bool) -> str | int:
    user = context.user
    lang = user.language
    new_draft(context, FLOW, flash=flash)
    try:
        await require_any(user.id, Permission.PROMOTE)
    except NotAllowed as error:
        return await _stop(update, context, refusal_text(lang, error, pressed=False))
    shop = await shop_to_manage(
        update,
        user,
        permission=Permission.PROMOTE,
        choose_key="promo.pick_shop",
        choice_data=lambda s: PromoShop(shop_id=s.id),
    )
    return SHOP if shop is None else await _with_shop(update, context, user, shop)


@refusing
async def got_shop(update: Update, context: Context) -> str | int:
    user = context.user
    shop = await require(user.id, PromoShop.pressed(update).shop_id, Permission.PROMOTE)
    await answer(update)
    await edit_in_place(update.callback_query, f"🏪 <b>{h(shop.name)}</b>", None)  # type: ignore[arg-type]
    return await _with_shop(update, context, user, shop)


async def _with_shop(update: Update, context: Context, user: User, shop: Shop) -> str | int:
    try:
        await promotions.sendable_shop(user.id, shop.id)
    except PromotionError as error:
        return await _stop(update, context, _error(user.language, error))
    state = draft(context, FLOW)
    state["shop_id"] = shop.id
    if state.get("flash"):
        return await _ask_offer(update, context, user, shop)
    return await _ask_text(update, user, flash=False, note=await _weekly_reach_note(user, shop))


async def _weekly_reach_note(user: User, shop: Shop) -> str:
    """Under the composer's first question: how many of the shop's customers can still get a
    message from it this week (the weekly per-shop cap; those at it are skipped)."""
    reach = await weekly_reach(shop.id, clock.now())
    if not reach.customers:
        return ""
    note = t(
        user.language,
        "greetingsui.weekly_reach",
        count=reach.can_receive,
        customers=reach.customers,
        cap=reach.cap,
    )
    return f"\n\n{note}"


async def _stop(update: Update, context: Context, text: str) -> int:
    """Leave the flow with a note, nothing sent."""
    await say(update, text)
    return END


# ----------------------------------------------------------------- flash: offer, stock, time


async def _ask_offer(update: Update, context: Context, user: User, shop: Shop) -> str | int:
    lang = user.language
    templates = (await promotions.flash_templates(shop.id))[:MAX_COUPON_BUTTONS]
    if not templates:
        return await _stop(update, context, t(lang, "flash.no_offers"))
    rows = [[(f"🎟 {c.title}", FlashOffer(coupon_id=c.id))] for c in templates]
    text = t(lang, "flash.ask_offer", shop=h(shop.name)) + await _weekly_reach_note(user, shop)
    await say(update, text, reply_markup=inline(rows))
    return OFFER


async def got_offer(update: Update, context: Context) -> str:
    user = context.user
    lang = user.language
    state = draft(context, FLOW)
    coupon_id = FlashOffer.pressed(update).coupon_id
    templates = {c.id: c for c in await promotions.flash_templates(state.get("shop_id", 0))}
    if coupon_id not in templates:
        await expired(update, lang)
        return OFFER
    await answer(update)
    state["template_id"] = coupon_id
    title = h(templates[coupon_id].title)
    buttons: list[tuple[str, CallbackData]] = [(str(n), FlashStock(stock=n)) for n in FLASH_STOCKS]
    text = t(lang, "flash.ask_stock", title=title, high=promotions.FLASH_MAX_STOCK)
    await edit_in_place(update.callback_query, text, inline([buttons]))  # type: ignore[arg-type]
    return STOCK


async def got_stock(update: Update, context: Context) -> str:
    """The stock, from a button (the question becomes the next one) or typed."""
    user = context.user
    lang = user.language
    number = FlashStock.pressed(update).stock if update.callback_query else _typed_number(update)
    try:
        draft(context, FLOW)["stock"] = promotions.checked_stock(number or 0)
    except PromotionError as error:
        return await _reask(update, user, _error(lang, error), STOCK)
    buttons: list[tuple[str, CallbackData]] = [
        (_duration(lang, m), FlashMinutes(minutes=m)) for m in FLASH_MINUTES
    ]
    text = t(
        lang,
        "flash.ask_minutes",
        low=promotions.FLASH_MIN_MINUTES,
        high=promotions.FLASH_MAX_MINUTES,
    )
    await _next_question(update, text, inline([buttons]))
    return MINUTES


async def got_minutes(update: Update, context: Context) -> str:
    user = context.user
    lang = user.language
    query = update.callback_query
    number = FlashMinutes.pressed(update).minutes if query else _typed_number(update)
    try:
        draft(context, FLOW)["minutes"] = promotions.checked_minutes(number or 0)
    except PromotionError as error:
        return await _reask(update, user, _error(lang, error), MINUTES)
    if update.callback_query is not None:
        await answer(update)
        chosen = t(
            lang,
            "flash.chosen",
            stock=draft(context, FLOW)["stock"],
            duration=_duration(lang, number or 0),
        )
        await edit_in_place(update.callback_query, chosen, None)
    return await _ask_text(update, user, flash=True)


def _duration(lang: str, minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return t(lang, "flash.duration_minutes", minutes=rest)
    if not rest:
        return t(lang, "flash.duration_hours", hours=hours)
    return t(lang, "flash.duration_both", hours=hours, minutes=rest)


# ------------------------------------------------------------------- the message itself


async def _ask_text(update: Update, user: User, *, flash: bool, note: str = "") -> str:
    key = "flash.ask_text" if flash else "promo.ask_text"
    await say(
        update,
        t(user.language, key, max=TEXT_MAX) + note,
        reply_markup=choice_keyboard(user.language, []),
    )
    return TEXT


async def got_text(update: Update, context: Context) -> str:
    user = context.user
    assert update.message is not None
    try:
        draft(context, FLOW)["text"] = promotions.checked_text(update.message.text or "")
    except PromotionError as error:
        await say(update, _error(user.language, error))
        return TEXT
    await say(
        update,
        t(user.language, "promo.ask_photo"),
        reply_markup=choice_keyboard(user.language, [], skip=True),
    )
    return PHOTO


async def got_captioned_photo(update: Update, context: Context) -> str:
    """A photo with a caption at the text step: both in one go."""
    user = context.user
    assert update.message is not None
    try:
        draft(context, FLOW)["text"] = promotions.checked_text(update.message.caption or "")
    except PromotionError as error:
        await say(update, _error(user.language, error))
        return TEXT
    draft(context, FLOW)["photo"] = update.message.photo[-1].file_id
    return await _after_photo(update, context, user)


async def not_text(update: Update, context: Context) -> str:
    user = context.user
    await say(update, t(user.language, "promo.expected_text", max=TEXT_MAX))
    return TEXT


async def got_photo(update: Update, context: Context) -> str:
    user = context.user
    assert update.message is not None
    draft(context, FLOW)["photo"] = update.message.photo[-1].file_id
    return await _after_photo(update, context, user)


async def skip_photo(update: Update, context: Context) -> str:
    user = context.user
    draft(context, FLOW)["photo"] = None
    return await _after_photo(update, context, user)


async def not_photo(update: Update, context: Context) -> str:
    user = context.user
    await say(update, t(user.language, "promo.expected_photo"))
    return PHOTO


async def _after_photo(update: Update, context: Context, user: User) -> str:
    shop = await _draft_shop(context, user)
    if shop is None:
        return await _gone(update, context, user)
    if draft(context, FLOW).get("flash"):
        return await _ask_audience(update, user, shop)
    available = await promotions.attachable_coupons(shop.id, now=clock.now())
    if not available:
        draft(context, FLOW)["coupon_id"] = None
        return await _ask_audience(update, user, shop)
    rows: list[list[tuple[str, CallbackData]]] = [
        [(f"🎟 {c.title}", PromoCoupon(coupon_id=c.id))] for c in available[:MAX_COUPON_BUTTONS]
    ]
    rows.append([(t(user.language, "promo.no_coupon_button"), PromoCoupon(coupon_id=None))])
    await say(update, t(user.language, "promo.ask_coupon"), reply_markup=inline(rows))
    return COUPON


async def got_coupon(update: Update, context: Context) -> str:
    user = context.user
    lang = user.language
    shop = await _draft_shop(context, user)
    coupon_id = PromoCoupon.pressed(update).coupon_id
    available = (
        {c.id: c for c in await promotions.attachable_coupons(shop.id, now=clock.now())}
        if shop
        else {}
    )
    if shop is None or (coupon_id is not None and coupon_id not in available):
        await expired(update, lang)
        return COUPON
    await answer(update)
    draft(context, FLOW)["coupon_id"] = coupon_id
    chosen = (
        t(lang, "promo.coupon_chosen", title=h(available[coupon_id].title))
        if coupon_id
        else t(lang, "promo.no_coupon_chosen")
    )
    await edit_in_place(update.callback_query, chosen, None)  # type: ignore[arg-type]
    return await _ask_audience(update, user, shop)


# ---------------------------------------------------------------- audience and preview


def _audience_label(lang: str, audience: PromotionAudience, shop: Shop) -> str:
    category = t(lang, f"category.{shop.category}")
    return t(lang, f"promo.audience_{audience.value}", category=category)


async def _ask_audience(update: Update, user: User, shop: Shop) -> str:
    lang = user.language
    sizes = await promotions.audience_sizes(shop)
    rows = [
        [(f"{_audience_label(lang, a, shop)} · {sizes[a]}", PromoAudienceChoice(audience=a))]
        for a in PromotionAudience
    ]
    await say(update, t(lang, "promo.ask_audience"), reply_markup=inline(rows))
    return AUDIENCE


async def got_audience(update: Update, context: Context) -> str:
    user = context.user
    lang = user.language
    query = update.callback_query
    assert query is not None
    audience = PromoAudienceChoice.pressed(update).audience
    shop = await _draft_shop(context, user)
    if shop is None:
        await expired(update, lang)
        return AUDIENCE
    reach = len(await promotions.audience_ids(shop, audience))
    if not reach:
        await answer(update, t(lang, "promo.audience_empty"), alert=True)
        return AUDIENCE
    await answer(update)
    draft(context, FLOW)["audience"] = audience.value
    label = _audience_label(lang, audience, shop)
    await edit_in_place(query, t(lang, "promo.audience_chosen", audience=label), None)
    await _preview(update, context, user, shop, reach)
    return CONFIRM


async def _preview(update: Update, context: Context, user: User, shop: Shop, reach: int) -> None:
    """The message exactly as people will get it, then the reach and the send button."""
    lang = user.language
    config = deps(context).config
    push = await _draft_push(context, shop, now=clock.now())
    chat = update.effective_chat
    assert chat is not None
    message = sender.render(payload_of(push, config), lang)
    await sender.send_rendered(context.bot, chat.id, message)
    note = "promo.confirm_flash" if draft(context, FLOW).get("flash") else "promo.confirm"
    key = draft(context, FLOW)["launch_key"] = promotions.new_launch_key()
    rows: list[list[tuple[str, CallbackData]]] = [
        [
            (t(lang, "promo.send_button"), SendPromo(key=key)),
            (t(lang, "common.cancel_button"), DropPromo()),
        ]
    ]
    await say(update, t(lang, note, count=reach), reply_markup=inline(rows))


async def _draft_push(context: Context, shop: Shop, *, now: datetime) -> Push:
    """The preview's Push, from the draft (a flash deal shows its template's offer)."""
    state = draft(context, FLOW)
    audience = PromotionAudience(state["audience"])
    if state.get("flash"):
        offer = await Coupon.get_or_none(id=state.get("template_id"), shop_id=shop.id)
        return Push(
            shop,
            state["text"],
            state.get("photo"),
            audience,
            offer=offer,
            claim_data=ClaimCoupon(coupon_id=offer.id).pack() if offer else None,
            ends_at=now + timedelta(minutes=state["minutes"]),
            stock=state["stock"],
        )
    offer = await Coupon.get_or_none(id=state.get("coupon_id") or 0, shop_id=shop.id)
    claim = ClaimCoupon(coupon_id=offer.id).pack() if offer else None
    return Push(shop, state["text"], state.get("photo"), audience, offer=offer, claim_data=claim)


# -------------------------------------------------------------------------- sending


@refusing
async def send_press(update: Update, context: Context) -> str | int | None:
    """Send now: create and queue the previewed promotion in one go, once per preview. A press
    whose key launched a campaign already shows that campaign; one that matches no preview
    still open is refused as expired. Other flows in progress are left as they are."""
    user = context.user
    lang = user.language
    state = draft(context, FLOW)
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    key = SendPromo.pressed(update).key
    if not promotions.valid_launch_key(key):
        await expired(update, lang)
        return None
    found = await promotions.launched(key)
    if found is not None:
        return await _already_launched(update, context, user, found)
    if state.get("launch_key") != key:
        await expired(update, lang)
        return None
    if not {"shop_id", "text", "audience"} <= state.keys():
        await expired(update, lang)
        return None
    now = clock.now()
    config = deps(context).config
    try:
        shop = await promotions.sendable_shop(user.id, state["shop_id"])
        outcome = await promotions.launch_once(
            key,
            partial(_create, state, shop, user, chat.id, now, key),
            lambda promotion: payload_of(push_of(promotion, shop, promotion.coupon), config),
            now=now,
        )
    except PromotionError as error:
        await answer(update, _error(lang, error), alert=True)
        return None
    except CouponError:  # the template changed under the flash deal
        await answer(update, _error(lang, PromotionError("coupon_unavailable")), alert=True)
        return None
    promotion = outcome.promotion
    if not outcome.fresh:
        return await _already_launched(update, context, user, promotion)
    sender.notify()
    await answer(update)
    await _drop_buttons(query)
    await show_menu(update, user, t(lang, "promo.launched", count=promotion.reached))
    if promotion.is_flash and context.job_queue is not None:
        schedule_end(context.job_queue, promotion)
    watch(context.application, promotion.id, chat.id, lang)
    return END


async def _already_launched(
    update: Update, context: Context, user: User, promotion: Promotion
) -> str | int | None:
    """A second press of Send: nothing is sent again; the merchant sees where the campaign
    stands (its live progress and final report keep coming as before). Ends the flow only
    if it is the one that launched it."""
    lang = user.language
    if await shop_if_allowed(user.id, promotion.shop_id, Permission.PROMOTE) is None:
        await expired(update, lang)
        return None
    assert update.callback_query is not None
    await answer(update, t(lang, "promo.already_sent_toast"))
    await _drop_buttons(update.callback_query)
    progress = await outbox.campaign_progress(campaign_of(promotion.id))
    where = sender.report_text if progress.done else sender.progress_text
    text = f"{t(lang, 'promo.already_sent')}\n\n{where(lang, progress)}"
    if draft(context, FLOW).get("launch_key") != promotion.launch_key:
        await say(update, text)
        return None
    await show_menu(update, user, text)
    return END


async def _drop_buttons(query: CallbackQuery) -> None:
    """Take the buttons off the preview's question (maybe gone already: a double tap)."""
    message = query.message
    if message is not None and not getattr(message, "reply_markup", None):
        return
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def _create(
    state: dict[str, Any], shop: Shop, user: User, chat_id: int, now: datetime, launch_key: str
) -> Promotion:
    common = {
        "text": state["text"],
        "photo_file_id": state.get("photo"),
        "audience": PromotionAudience(state["audience"]),
        "chat_id": chat_id,
        "now": now,
        "launch_key": launch_key,
    }
    if state.get("flash"):
        promotion = await promotions.create_flash(
            shop,
            user.id,
            template_id=state.get("template_id") or 0,
            stock=state.get("stock") or 0,
            minutes=state.get("minutes") or 0,
            **common,
        )
    else:
        promotion = await promotions.create_promotion(
            shop, user.id, coupon_id=state.get("coupon_id"), **common
        )
    await promotion.fetch_related("coupon")
    return promotion


def push_of(promotion: Promotion, shop: Shop, coupon: Coupon | None) -> Push:
    """The Push of a saved promotion (its claim button names it, for results)."""
    claim = ClaimCoupon(coupon_id=coupon.id, promotion_id=promotion.id).pack() if coupon else None
    return Push(
        shop,
        promotion.text,
        promotion.photo_file_id,
        promotion.audience,
        offer=coupon,
        claim_data=claim,
        ends_at=promotion.ends_at,
        stock=coupon.stock if coupon and promotion.is_flash else None,
    )


# --------------------------------------------------------------- progress after sending

_WATCHERS: set[asyncio.Task[None]] = set()


def watch(
    app: Application,  # type: ignore[type-arg]
    promotion_id: int,
    chat_id: int,
    lang: str,
    *,
    message_id: int | None = None,
) -> None:
    """Show the merchant live progress and the final report (resuming an earlier progress
    message after a restart), then mark the promotion sent."""
    worker = sender.sender_of(app)
    if worker is None:
        return
    tracker = worker.track(
        campaign_of(promotion_id),
        chat_id,
        lang,
        message_id=message_id,
        on_message=partial(promotions.set_progress_message, promotion_id),
    )
    task = asyncio.create_task(_sent_when_done(tracker, promotion_id))
    _WATCHERS.add(task)
    task.add_done_callback(_WATCHERS.discard)


async def _sent_when_done(tracker: asyncio.Task[Any], promotion_id: int) -> None:
    try:
        await tracker
    except asyncio.CancelledError:  # the bot is stopping: the next start resumes it
        return
    except Exception:
        log.exception("progress of promotion %s failed", promotion_id)
        return
    await promotions.mark_sent(promotion_id)


# ---------------------------------------------------------------- the end of flash deals


async def end_flash_deal(bot: Bot, promotion_id: int, reason: str) -> bool:
    """End the deal (once, however many callers race) and announce it. False if it had ended
    already."""
    promotion = await promotions.end_flash(promotion_id)
    if promotion is None:
        return False
    await announce_end(bot, promotion, reason)
    return True


async def announce_end(bot: Bot, promotion: Promotion, reason: str) -> None:
    """After the deal ended: edit every pushed message to say so and tell the merchant (also
    what scheduler/flash_deals.py calls, passed in by bot/app.py)."""
    shop = promotion.shop
    texts = {lang: ended_text(promotion, shop, reason, lang) for lang in LANGUAGES}
    edited = await sender.edit_campaign_messages(bot, campaign_of(promotion.id), texts)
    log.info("flash deal %s ended (%s): %d messages edited", promotion.id, reason, edited)
    await _tell_merchant(bot, promotion, reason)


async def _tell_merchant(bot: Bot, promotion: Promotion, reason: str) -> None:
    chat_id = promotion.progress_chat_id or promotion.author_id
    if chat_id is None:
        return
    author = await User.get_or_none(id=promotion.author_id or chat_id)
    lang = author.language if author else "en"
    coupon = await Coupon.get_or_none(id=promotion.coupon_id or 0)
    text = t(
        lang,
        f"flash.merchant_ended_{reason}",
        title=h(coupon.title if coupon else ""),
        claimed=coupon.claimed_count if coupon else 0,
        stock=(coupon.stock if coupon else 0) or 0,
    )
    try:
        await bot.send_message(chat_id, text)
    except Exception:  # the merchant may have blocked the bot; the deal has ended regardless
        log.info("could not tell chat %s that flash deal %s ended", chat_id, promotion.id)


def schedule_end(job_queue: JobQueue, promotion: Promotion) -> None:  # type: ignore[type-arg]
    """The deal's end on the scheduler's timer (which also sets it again at start-up)."""
    assert promotion.ends_at is not None
    FLASH_DEAL_ENDS.at(job_queue, promotion.id, promotion.ends_at)


async def _resume_job(context: Context) -> None:
    """At start-up: resume the merchants' progress messages of promotions still sending
    (flash deals that ran out while the bot was down are the scheduler's catch-up)."""
    for promotion in await promotions.sending():
        author = await User.get_or_none(id=promotion.author_id or 0)
        watch(
            context.application,
            promotion.id,
            promotion.progress_chat_id or 0,
            author.language if author else "en",
            message_id=promotion.progress_message_id,
        )


async def after_claim(update: Update, context: Context) -> None:
    """Runs after the wallet's claim handler: if that claim took a flash deal's last unit,
    the deal ends now."""
    coupon_id = ClaimCoupon.pressed(update).coupon_id
    for promotion in await promotions.sold_out_flash_deals(coupon_id):
        await end_flash_deal(context.bot, promotion.id, "sold_out")


# ------------------------------------------------------------------------------ helpers


def _typed_number(update: Update) -> int | None:
    return parse_whole(update.message.text or "") if update.message else None


def _error(lang: str, error: PromotionError) -> str:
    return t(lang, f"promo.error_{error.reason}", **error.details)


async def _reask(update: Update, user: User, text: str, state: str) -> str:
    if update.callback_query is not None:
        await expired(update, user.language)
    else:
        await say(update, text)
    return state


async def _next_question(update: Update, text: str, markup: Any) -> None:
    """After a button: the pressed question turns into the next one; after typing: a new one."""
    if update.callback_query is not None:
        await answer(update)
        await edit_in_place(update.callback_query, text, markup)
    else:
        await say(update, text, reply_markup=markup)


async def _draft_shop(context: Context, user: User) -> Shop | None:
    shop_id = draft(context, FLOW).get("shop_id")
    return await shop_if_allowed(user.id, shop_id, Permission.PROMOTE) if shop_id else None


async def _gone(update: Update, context: Context, user: User) -> int:
    return await _stop(update, context, t(user.language, "promo.error_not_staff"))


async def use_buttons(update: Update, context: Context) -> None:
    await say(update, t(context.user.language, "promo.use_buttons"))


def register(app: Application, deps: Deps) -> None:  # type: ignore[type-arg]
    def press(callback: Any, button: type[CallbackData]) -> CallbackQueryHandler:  # type: ignore[type-arg]
        return CallbackQueryHandler(callback, pattern=button.pattern())

    typed = MessageHandler(NOT_CANCEL, use_buttons)
    add_flow(
        app,
        Flow(
            FLOW,
            allow_reentry=True,
            entry_points=[
                CommandHandler("promo", promo_command),
                CommandHandler("flash", flash_command),
                press(send_press, SendPromo),  # in any state, or none: see send_press
            ],
            states={
                SHOP: [press(got_shop, PromoShop), typed],
                OFFER: [press(got_offer, FlashOffer), typed],
                STOCK: [press(got_stock, FlashStock), MessageHandler(PLAIN_TEXT, got_stock), typed],
                MINUTES: [
                    press(got_minutes, FlashMinutes),
                    MessageHandler(PLAIN_TEXT, got_minutes),
                    typed,
                ],
                TEXT: [
                    MessageHandler(PLAIN_TEXT, got_text),
                    MessageHandler(filters.PHOTO & filters.CAPTION, got_captioned_photo),
                    MessageHandler(NOT_CANCEL, not_text),
                ],
                PHOTO: [
                    MessageHandler(filters.PHOTO, got_photo),
                    MessageHandler(SKIP_LABEL, skip_photo),
                    MessageHandler(NOT_CANCEL, not_photo),
                ],
                COUPON: [press(got_coupon, PromoCoupon), typed],
                AUDIENCE: [press(got_audience, PromoAudienceChoice), typed],
                CONFIRM: [press(cancel, DropPromo), typed],
            },
            fallbacks=flow_fallbacks(),
        ),
    )
    app.add_handler(
        CallbackQueryHandler(after_claim, pattern=ClaimCoupon.pattern()),
        group=CLAIM_FOLLOW_UP_GROUP,
    )
    if app.job_queue is not None:
        app.job_queue.run_once(
            _resume_job, when=0, name="promotions-resume", job_kwargs=RUN_HOWEVER_LATE
        )
    else:
        log.warning("no job queue (python-telegram-bot[job-queue]): progress is not resumed")
