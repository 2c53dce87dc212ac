"""/greetings (owner): the shop's birthday and holiday greetings as the year ahead — how many
customers have a birthday soon, each holiday's next date, which are on — and, per line, its
switch, its text, its coupon, the days before a birthday, and a preview of exactly what a
customer receives. Also who receives greetings.

Everything is a press on one message, edited in place and re-validated every time (the shop,
the owner's permission, the occasion still offered); typing a new text is the one short flow
(`greetings.text`, its draft says which shop and occasion). Rules (what may be switched, how
long a text may be, which coupons) are bot.services.greetings'; this module only shows them.
"""

from __future__ import annotations

from datetime import date
from typing import Any, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_skeleton
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import clock
from bot.formatting import h
from bot.i18n import t
from bot.models import Shop
from bot.services import greeting_choices, greetings, occasions
from bot.services.greeting_choices import offered
from bot.services.greetings import GreetingError
from bot.services.occasions import BIRTHDAY
from bot.services.outbox import localized
from bot.services.staff import Permission, require
from bot.ui.base import (
    Context,
    Deps,
    answer,
    edit_in_place,
    expired,
    refusing,
    say,
    shop_to_manage,
)
from bot.ui.buttons.greetings import (
    Audience,
    GreetingAudience,
    GreetingAudiences,
    GreetingCoupon,
    GreetingCoupons,
    GreetingDays,
    GreetingDefaultText,
    GreetingOpen,
    GreetingPreview,
    GreetingsButton,
    GreetingsShop,
    GreetingSwitch,
    GreetingText,
    PreviewGift,
)
from bot.ui.callbacks import CallbackData, any_of
from bot.ui.flow import (
    CANCEL_LABEL,
    END,
    PLAIN_TEXT,
    Flow,
    add_flow,
    draft,
    flow_fallbacks,
    new_draft,
    show_menu,
)
from bot.ui.keyboards import choice_keyboard, inline
from bot.ui.text import fit_html, shorten
from bot.views.greetings import greeting_buttons

FLOW = "greetings"
TEXT = "greetings.text"
#: The pseudo-occasion of the master switch (all greetings of the shop).
ALL = "all"
AUDIENCES: tuple[str, ...] = get_args(Audience)
#: Coupons offered as buttons (newest first).
MAX_COUPON_BUTTONS = 8
#: A coupon's title in a button.
BUTTON_TITLE_MAX = 28

Rows = list[list[tuple[str, CallbackData]]]
#: The owner's buttons answered by `on_press` ('edit text' starts the flow instead).
OWNER_PRESSES = any_of(
    GreetingsShop,
    GreetingOpen,
    GreetingSwitch,
    GreetingDefaultText,
    GreetingCoupons,
    GreetingCoupon,
    GreetingDays,
    GreetingPreview,
    PreviewGift,
    GreetingAudiences,
    GreetingAudience,
)


# ----------------------------------------------------------------------------- wording


#: Beside each occasion's name (pictures, not words: the same in every language).
ICONS = {
    BIRTHDAY: "🎂",
    "new_year": "🎆",
    "spring_festival": "🧧",
    "lantern": "🏮",
    "valentine": "💝",
    "qixi": "🌌",
    "labour_day": "🛠",
    "dragon_boat": "🐉",
    "mid_autumn": "🥮",
    "national_day": "🇨🇳",
}


def occasion_name(lang: str, occasion: str) -> str:
    return f"{ICONS.get(occasion, '🎉')} {t(lang, f'greetings.occasion.{occasion}')}"


def day_text(lang: str, day: date) -> str:
    """A date as people write it: "Mon, Feb 17, 2031" / "2031年2月17日周一"."""
    return format_skeleton("yMMMEd", day, locale=lang)


def shop_today(shop: Shop) -> date:
    """The shop's own date (its year ahead starts there, whatever the server's zone)."""
    try:
        zone = ZoneInfo(shop.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    return clock.now().astimezone(zone).date()


def state_mark(on: bool) -> str:
    return "✅" if on else "⏸"


def days_before_text(lang: str, days: int) -> str:
    if days == 0:
        return t(lang, "greetingsui.on_the_day")
    return t(lang, "greetingsui.days_before", count=days)


def audience_text(lang: str, audience: str) -> str:
    return t(lang, f"greetingsui.audience_{audience}")


# ------------------------------------------------------------------------- the year ahead


async def home(shop: Shop, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    """The year ahead: birthdays, each holiday with its next date and state, the audience."""
    ahead = await greetings.year_ahead(shop.id, shop_today(shop))
    birthday_on = ahead.enabled and ahead.birthday_on
    birthday = t(
        lang,
        "greetingsui.birthday_line",
        state=state_mark(birthday_on),
        soon=ahead.next_birthdays,
        year=sum(count for _, count in ahead.birthdays_by_month),
        when=days_before_text(lang, ahead.birthday_days_before),
    )
    lines = [
        t(lang, "greetingsui.home_title", shop=h(shop.name)),
        t(lang, "greetingsui.audience_line", audience=audience_text(lang, ahead.audience)),
    ]
    if not ahead.enabled:
        lines.append(t(lang, "greetingsui.all_paused"))
    lines += ["", birthday]
    rows: Rows = [
        [
            (
                f"{occasion_name(lang, BIRTHDAY)} {state_mark(birthday_on)}",
                GreetingOpen(shop_id=shop.id, occasion=BIRTHDAY),
            )
        ]
    ]
    for holiday in ahead.holidays:
        line = f"{occasion_name(lang, holiday.occasion)} · {day_text(lang, holiday.date)}"
        lines.append(f"{line} {state_mark(holiday.enabled)}")
        rows.append(
            [
                (
                    f"{line} {state_mark(holiday.enabled)}",
                    GreetingOpen(shop_id=shop.id, occasion=holiday.occasion),
                )
            ]
        )
    lines += ["", t(lang, "greetingsui.home_hint")]
    rows.append([(t(lang, "greetingsui.audience_button"), GreetingAudiences(shop_id=shop.id))])
    master = "greetingsui.pause_all" if ahead.enabled else "greetingsui.resume_all"
    switch = GreetingSwitch(shop_id=shop.id, occasion=ALL, on=not ahead.enabled)
    rows.append([(t(lang, master), switch)])
    return "\n".join(lines), inline(rows)


async def greetings_command(update: Update, context: Context) -> None:
    user = context.user
    shop = await shop_to_manage(
        update,
        user,
        permission=Permission.MANAGE_GREETINGS,
        choose_key="greetingsui.pick_shop",
        choice_data=lambda s: GreetingsShop(shop_id=s.id),
    )
    if shop is not None:
        text, markup = await home(shop, user.language)
        await say(update, text, reply_markup=markup)


# ------------------------------------------------------------------------- one occasion


async def detail(shop: Shop, occasion: str, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    """One occasion: on/off, its text (as typed, escaped), its coupon, days before (birthday)."""
    choice = await greeting_choices.choice_of(shop.id, occasion)
    name = occasion_name(lang, occasion)
    if occasion == BIRTHDAY:
        days = choice.days_before
        head = (
            t(lang, "greetingsui.detail_birthday", when=days_before_text(lang, days))
            if days
            else t(lang, "greetingsui.detail_birthday_on_day")
        )
    else:
        [(_, day)] = occasions.upcoming(shop_today(shop), [occasion])
        head = t(lang, "greetingsui.detail_holiday", name=name, day=day_text(lang, day))
    if choice.text is None:  # the catalogue's text (ours: trusted HTML, placeholders shown)
        text_lines = [t(lang, "greetingsui.text_default"), t(lang, f"greetings.{occasion}")]
    else:  # the owner's own, as typed
        text_lines = [t(lang, "greetingsui.text_custom"), f"<i>{h(choice.text)}</i>"]
    coupon = (
        t(lang, "greetingsui.coupon_line", title=h(choice.coupon.title))
        if choice.coupon
        else t(lang, "greetingsui.no_coupon_line")
    )
    lines = [
        head,
        t(lang, "greetingsui.on" if choice.enabled else "greetingsui.off"),
        "",
        *text_lines,
        t(lang, "greetingsui.placeholders"),
        "",
        coupon,
    ]
    if occasion == BIRTHDAY:
        lines.append(t(lang, "greetingsui.days_hint"))
    if not choice.all_enabled:
        lines += ["", t(lang, "greetingsui.all_paused")]
    ids = {"shop_id": shop.id, "occasion": occasion}
    switch = "greetingsui.switch_off" if choice.enabled else "greetingsui.switch_on"
    rows: Rows = [[(t(lang, switch), GreetingSwitch(**ids, on=not choice.enabled))]]
    text_row: list[tuple[str, CallbackData]] = [
        (t(lang, "greetingsui.edit_text"), GreetingText(**ids))
    ]
    if choice.text is not None:
        text_row.append((t(lang, "greetingsui.default_text"), GreetingDefaultText(**ids)))
    rows.append(text_row)
    rows.append([(t(lang, "greetingsui.coupon_button"), GreetingCoupons(**ids))])
    if occasion == BIRTHDAY:
        rows.append(
            [
                (
                    f"·{d}·" if d == choice.days_before else str(d),
                    GreetingDays(shop_id=shop.id, days=d),
                )
                for d in range(greetings.DAYS_BEFORE_MAX + 1)
            ]
        )
    rows.append([(t(lang, "greetingsui.preview_button"), GreetingPreview(**ids))])
    rows.append([(t(lang, "greetingsui.back"), GreetingsShop(shop_id=shop.id))])
    return "\n".join(lines), inline(rows)


async def coupon_choice(shop: Shop, occasion: str, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    available = await greeting_choices.attachable_coupons(shop.id, clock.now())
    ids = {"shop_id": shop.id, "occasion": occasion}
    rows: Rows = [
        [(f"🎟 {shorten(c.title, BUTTON_TITLE_MAX)}", GreetingCoupon(**ids, coupon_id=c.id))]
        for c in available[:MAX_COUPON_BUTTONS]
    ]
    rows.append([(t(lang, "greetingsui.no_coupon_button"), GreetingCoupon(**ids, coupon_id=None))])
    rows.append([(t(lang, "greetingsui.back"), GreetingOpen(**ids))])
    key = "greetingsui.ask_coupon" if available else "greetingsui.no_coupons"
    text = t(lang, key, name=occasion_name(lang, occasion))
    return text, inline(rows)


def audience_choice(shop: Shop, current: str, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    rows: Rows = [
        [
            (
                f"{'✓ ' if a == current else ''}{audience_text(lang, a)}",
                GreetingAudience(shop_id=shop.id, audience=a),  # type: ignore[arg-type]
            )
        ]
        for a in AUDIENCES
    ]
    rows.append([(t(lang, "greetingsui.back"), GreetingsShop(shop_id=shop.id))])
    return t(lang, "greetingsui.ask_audience"), inline(rows)


# -------------------------------------------------------------------------------- presses


@refusing
async def on_press(update: Update, context: Context) -> None:
    """Every /greetings button but 'edit text' (a flow): re-validated, then the message is
    edited into the next screen. A forged or stale choice changes nothing."""
    user = context.user
    lang = user.language
    pressed = GreetingsButton.pressed(update)
    shop_id = getattr(pressed, "shop_id", 0)
    shop = await require(user.id, shop_id, Permission.MANAGE_GREETINGS)
    occasion = getattr(pressed, "occasion", BIRTHDAY)
    master = isinstance(pressed, GreetingSwitch) and occasion == ALL
    if not (master or offered(occasion)):
        await expired(update, lang)
        return
    query = update.callback_query
    assert query is not None
    toast: str | None = None
    try:
        match pressed:
            case GreetingsShop():
                screen = await home(shop, lang)
            case GreetingOpen():
                screen = await detail(shop, occasion, lang)
            case GreetingSwitch(occasion="all", on=on):
                await greetings.update_settings(shop.id, enabled=on)
                toast = t(lang, "greetingsui.all_resumed" if on else "greetingsui.all_paused_toast")
                screen = await home(shop, lang)
            case GreetingSwitch(on=on):
                await _change(shop.id, occasion, enabled=on)
                toast = t(
                    lang,
                    "greetingsui.switched_on" if on else "greetingsui.switched_off",
                    name=occasion_name(lang, occasion),
                )
                screen = await detail(shop, occasion, lang)
            case GreetingDefaultText():
                await _change(shop.id, occasion, text=None)
                toast = t(lang, "greetingsui.text_reset")
                screen = await detail(shop, occasion, lang)
            case GreetingCoupons():
                screen = await coupon_choice(shop, occasion, lang)
            case GreetingCoupon(coupon_id=coupon_id):
                available = await greeting_choices.attachable_coupons(shop.id, clock.now())
                if coupon_id is not None and coupon_id not in {c.id for c in available}:
                    await expired(update, lang)  # ended or expired since the list was shown
                    return
                await _change(shop.id, occasion, coupon_id=coupon_id)
                toast = t(
                    lang, "greetingsui.coupon_set" if coupon_id else "greetingsui.coupon_none"
                )
                screen = await detail(shop, occasion, lang)
            case GreetingDays(days=days):
                await greetings.update_settings(shop.id, birthday_days_before=days)
                toast = t(lang, "greetingsui.days_set", when=days_before_text(lang, days))
                screen = await detail(shop, BIRTHDAY, lang)
            case GreetingAudiences():
                settings = await greetings.settings_of(shop.id)
                screen = audience_choice(shop, settings.audience, lang)
            case GreetingAudience(audience=audience):
                await greetings.update_settings(shop.id, audience=audience)
                toast = t(lang, "greetingsui.audience_set", audience=audience_text(lang, audience))
                screen = await home(shop, lang)
            case GreetingPreview():
                await answer(update)
                await _send_preview(update, user.id, shop, occasion, lang)
                return
            case PreviewGift():
                await answer(update, t(lang, "greetingsui.preview_gift"), alert=True)
                return
            case _:
                await expired(update, lang)
                return
    except GreetingError:
        await expired(update, lang)
        return
    await answer(update, toast)
    text, markup = screen
    await edit_in_place(query, text, markup)


async def _change(shop_id: int, occasion: str, **changes: Any) -> None:
    await greetings.set_occasion(shop_id, occasion, **changes)


async def _send_preview(update: Update, user_id: int, shop: Shop, occasion: str, lang: str) -> None:
    """Exactly what a customer receives, in the owner's language and with the owner's name:
    the text as the sender renders it, the gift button, "no more greetings from <shop>"."""
    rendered = await greetings.preview(shop.id, occasion, lang, await greetings.user_name(user_id))
    rows: list[list[InlineKeyboardButton]] = []
    if rendered.coupon_title is not None:
        label = t(lang, "greetings.gift_button", coupon=rendered.coupon_title)
        rows.append(
            [InlineKeyboardButton(label, callback_data=PreviewGift(shop_id=shop.id).pack())]
        )
    for row in greeting_buttons([(shop.id, shop.name)]):
        rows.append(
            [
                InlineKeyboardButton(
                    localized(spec["text"], lang), callback_data=spec["callback_data"]
                )
                for spec in row
            ]
        )
    await say(update, t(lang, "greetingsui.preview_note"))
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(fit_html(rendered.text), reply_markup=InlineKeyboardMarkup(rows))


# --------------------------------------------------------------------- typing a new text


@refusing
async def ask_text(update: Update, context: Context) -> str | int:
    user = context.user
    lang = user.language
    pressed = GreetingText.pressed(update)
    shop = await require(user.id, pressed.shop_id, Permission.MANAGE_GREETINGS)
    if not offered(pressed.occasion):
        await expired(update, lang)
        return END
    await answer(update)
    new_draft(context, FLOW, shop_id=shop.id, occasion=pressed.occasion)
    await say(
        update,
        t(
            lang,
            "greetingsui.ask_text",
            name=occasion_name(lang, pressed.occasion),
            max=greetings.TEXT_MAX,
        ),
        reply_markup=choice_keyboard(lang, []),
    )
    return TEXT


@refusing
async def got_text(update: Update, context: Context) -> str | int:
    user = context.user
    lang = user.language
    state = draft(context, FLOW)
    shop = await require(user.id, state.get("shop_id", 0), Permission.MANAGE_GREETINGS)
    occasion = state.get("occasion", "")
    if not offered(occasion):
        await show_menu(update, user, t(lang, "common.button_expired"))
        return END
    assert update.message is not None
    try:
        await _change(shop.id, occasion, text=update.message.text or "")
    except GreetingError as error:
        if error.reason != "bad_text":  # the occasion or the shop went away meanwhile
            await show_menu(update, user, t(lang, "common.button_expired"))
            return END
        await say(update, t(lang, "greetingsui.error_bad_text", max=greetings.TEXT_MAX))
        return TEXT
    await show_menu(update, user, t(lang, "greetingsui.text_saved"))
    text, markup = await detail(shop, occasion, lang)
    await say(update, fit_html(text), reply_markup=markup)
    return END


async def not_text(update: Update, context: Context) -> str:
    await say(update, t(context.user.language, "greetingsui.expected_text", max=greetings.TEXT_MAX))
    return TEXT


def register(app: Application[Any, Any, Any, Any, Any, Any], deps: Deps) -> None:
    add_flow(
        app,
        Flow(
            FLOW,
            entry_points=[CallbackQueryHandler(ask_text, pattern=GreetingText.pattern())],
            states={
                TEXT: [
                    MessageHandler(PLAIN_TEXT, got_text),
                    MessageHandler(~filters.COMMAND & ~CANCEL_LABEL, not_text),
                ]
            },
            fallbacks=flow_fallbacks(),
        ),
    )
    app.add_handler(CommandHandler("greetings", greetings_command))
    app.add_handler(CallbackQueryHandler(on_press, pattern=OWNER_PRESSES))
