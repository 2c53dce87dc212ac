"""/results: how a shop's messages and coupons did — reached, delivered, blocked, claimed,
redeemed, and the conversions delivered → claimed and claimed → redeemed — plus a chart of one
coupon's claims and redemptions per day. For the shop's owner (Permission.VIEW_RESULTS).

Button data (bot/ui/buttons/results.py), validated on every press (the presser may see the
results): ResultsShop (for people running several), ResultsChart (a coupon's last CHART_DAYS days).
"""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import clock
from bot.formatting import h
from bot.i18n import t
from bot.models import CouponStatus, PromotionStatus, Shop, User
from bot.render.chart import ChartTexts, daily_chart_png
from bot.services import coupons, promotions
from bot.services.promotions import CouponResult, Funnel, PromotionResult
from bot.services.staff import Permission, require
from bot.ui.base import Context, Deps, answer, expired, refusing, say, shop_to_manage
from bot.ui.buttons.results import ResultsButton, ResultsChart, ResultsShop
from bot.ui.callbacks import CallbackData
from bot.ui.keyboards import inline
from bot.ui.text import CAPTION_MAX, block, blocks, fit, fit_html, shorten
from bot.views.coupons import coupon_name, local_time

CHART_DAYS = 14
SNIPPET = 40  # characters of a message's text that name it in the list


def percent(rate: float | None) -> str:
    """A conversion rate for people: `45%`, or `–` when there is nothing to convert yet."""
    return "–" if rate is None else f"{round(rate * 100)}%"


def _snippet(text: str) -> str:
    return shorten(" ".join(text.split()), SNIPPET)


def _sends_line(lang: str, funnel: Funnel) -> str:
    return t(
        lang,
        "results.sends",
        reached=funnel.reached,
        delivered=funnel.delivered,
        blocked=funnel.blocked,
    )


def _promotion_lines(lang: str, result: PromotionResult, tz: str) -> list[str]:
    p, funnel = result.promotion, result.funnel
    icon = "⚡" if p.is_flash else "📣"
    status = ""
    if p.status == PromotionStatus.ENDED:
        status = f" · {t(lang, 'results.status_ended')}"
    elif p.is_flash and p.ends_at is not None:
        status = f" · {t(lang, 'results.status_running', end=local_time(p.ends_at, tz)[-5:])}"
    elif funnel.waiting:
        status = f" · {t(lang, 'results.status_waiting', count=funnel.waiting)}"
    when = local_time(p.created_at, tz)[5:]
    lines = [
        f"{icon} <b>{when}</b> · {h(_snippet(p.text))}{status}",
        f"    {_sends_line(lang, funnel)}",
    ]
    if p.coupon_id is not None:
        claims = t(
            lang,
            "results.claims",
            claimed=funnel.claimed,
            claim_rate=percent(funnel.claim_rate),
            redeemed=funnel.redeemed,
            redeem_rate=percent(funnel.redeem_rate),
        )
        lines.append(f"    {claims}")
    return lines


def _coupon_lines(lang: str, result: CouponResult, tz: str) -> list[str]:
    c, funnel = result.coupon, result.funnel
    marks = []
    if c.status != CouponStatus.ACTIVE:
        marks.append(t(lang, f"results.coupon_{c.status.value}"))
    left = coupons.stock_left(c)
    if left is not None:
        marks.append(t(lang, "results.stock_left", left=left))
    head = f"🎟 <b>{h(coupon_name(c, lang, tz))}</b>" + "".join(f" · {mark}" for mark in marks)
    lines = [head]
    if funnel.reached:
        lines.append(f"    {_sends_line(lang, funnel)}")
    claims = t(
        lang,
        "results.coupon_claims",
        claimed=funnel.claimed,
        from_messages=funnel.from_messages,
        claim_rate=percent(funnel.claim_rate),
        redeemed=funnel.redeemed,
        redeem_rate=percent(funnel.redeem_rate),
    )
    lines.append(f"    {claims}")
    return lines


def results_text(
    lang: str, shop: Shop, sent: list[PromotionResult], held: list[CouponResult]
) -> str:
    """The whole report (HTML): messages newest first, then coupons, then how to read it; the
    oldest messages give way first, then the last coupons (their chart buttons stay)."""
    title = t(lang, "results.title", shop=h(shop.name))
    parts = blocks([title, "", t(lang, "results.promotions")])
    if not sent:
        parts.append(block(t(lang, "results.no_promotions")))
    for result in sent:
        parts.append(block(*_promotion_lines(lang, result, shop.timezone), drop=2))
    parts += blocks(["", t(lang, "results.coupons")])
    if not held:
        parts.append(block(t(lang, "results.no_coupons")))
    for result in held:
        parts.append(block(*_coupon_lines(lang, result, shop.timezone), drop=1))
    parts += blocks(["", t(lang, "results.hint", days=CHART_DAYS)])
    return fit(parts, more=lambda count: t(lang, "limits.more_items", count=count)).html


async def results_command(update: Update, context: Context) -> None:
    """/results: the user's shop's results, or a choice when they run several."""
    user = context.user
    shop = await shop_to_manage(
        update,
        user,
        permission=Permission.VIEW_RESULTS,
        choose_key="results.pick_shop",
        choice_data=lambda s: ResultsShop(shop_id=s.id),
    )
    if shop is not None:
        await show_results(update, user, shop)


async def show_results(update: Update, user: User, shop: Shop) -> None:
    lang = user.language
    sent = await promotions.promotion_results(shop.id)
    held = await promotions.coupon_results(shop.id)
    rows: list[list[tuple[str, CallbackData]]] = [
        [(f"📈 {coupon_name(r.coupon, lang, shop.timezone)}", ResultsChart(coupon_id=r.coupon.id))]
        for r in held
    ]
    await say(
        update, results_text(lang, shop, sent, held), reply_markup=inline(rows) if rows else None
    )


async def send_chart(update: Update, user: User, coupon_id: int) -> bool:
    """The coupon's chart as a photo with its totals; False for an unknown coupon."""
    lang = user.language
    coupon = await promotions.coupon_for_results(user.id, coupon_id)
    if coupon is None:
        return False
    await answer(update)
    chat = update.effective_chat
    assert chat is not None
    tz = coupon.shop.timezone
    days = await coupons.daily_counts(coupon.id, CHART_DAYS, tz, now=clock.now())
    name = coupon_name(coupon, lang, tz)
    texts = ChartTexts(
        title=t(lang, "results.chart_title", title=name, days=CHART_DAYS),
        claims=t(lang, "results.chart_claims"),
        redemptions=t(lang, "results.chart_redemptions"),
    )
    await chat.send_action(ChatAction.UPLOAD_PHOTO)
    png = await asyncio.to_thread(daily_chart_png, days, texts)
    caption = fit_html(
        t(
            lang,
            "results.chart_caption",
            title=h(name),
            days=CHART_DAYS,
            claimed=sum(claimed for _, claimed, _ in days),
            redeemed=sum(redeemed for _, _, redeemed in days),
        ),
        CAPTION_MAX,
    )
    await chat.send_photo(
        InputFile(png, filename=f"coupon-{coupon.id}-{CHART_DAYS}d.png"),
        caption=caption,
    )
    return True


@refusing
async def on_press(update: Update, context: Context) -> None:
    user = context.user
    match ResultsButton.pressed(update):
        case ResultsShop(shop_id=shop_id):
            shop = await require(user.id, shop_id, Permission.VIEW_RESULTS)
            await answer(update)
            await show_results(update, user, shop)
            return
        case ResultsChart(coupon_id=coupon_id):
            if await send_chart(update, user, coupon_id):
                return
    await expired(update, user.language)


def register(app: Application, _deps: Deps) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("results", results_command))
    app.add_handler(CallbackQueryHandler(on_press, pattern=ResultsButton.pattern()))
