"""What operators review and how a shop's state reads: the summary an operator decides on
(also the top of the owner's /myshop menu), the review message with its buttons, and the
notification that sends it to every operator — for new shops and for changes of live ones."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.config import Config
from bot.formatting import format_hours, h
from bot.i18n import offered, t, usable
from bot.models import Shop, ShopChange, ShopStatus, User
from bot.services.hours import WeeklyHours
from bot.services.phones import format_phone
from bot.ui.buttons.operator import (
    ApproveChange,
    ApproveShop,
    RejectChange,
    RejectShop,
    ShowChangeLocation,
    ViewPendingShop,
)
from bot.ui.callbacks import CallbackData
from bot.ui.keyboards import inline
from bot.ui.text import fit_html, shorten
from bot.views.shop import ShopCard, card_for

log = logging.getLogger(__name__)

#: The summary quotes this much of the description (the page shows it in full).
SUMMARY_ABOUT = 300


def shop_summary(card: ShopCard, lang: str) -> str:
    """The shop's essentials in a few HTML lines: what an operator reviews and what its owner
    sees on top of the /myshop menu."""
    hours = format_hours(WeeklyHours.from_json(card.hours), lang)
    lines = [
        f"<b>{h(card.name)}</b>",
        f"🏷 {t(lang, f'category.{card.category}')}",
        f"📍 {h(card.address)}" if card.address else f"📍 {card.lat:.5f}, {card.lng:.5f}",
    ]
    if card.phone:
        lines.append(f"☎️ {format_phone(card.phone)}")
    lines.append(f"🕘 {h('; '.join(hours))}" if hours else f"🕘 {t(lang, 'shop.no_hours')}")
    lines.append(f"📷 {t(lang, 'operator.photo_count', count=len(card.photos))}")
    if card.description:
        lines += ["", h(shorten(card.description, SUMMARY_ABOUT))]
    return "\n".join(lines)


def status_label(status: ShopStatus, lang: str) -> str:
    return t(lang, f"operator.status_{status.value}")


def is_operator(config: Config, user_id: int) -> bool:
    return user_id in config.operators


async def language_of(user_id: int, config: Config) -> str:
    """The user's chosen language, or the configured fallback for someone never seen."""
    user = await User.get_or_none(id=user_id)
    return usable(user.language) if user is not None else offered().fallback


async def review_text(shop: Shop, lang: str, outcome: str = "") -> str:
    """What an operator decides on (HTML, within one message), with the outcome once decided."""
    owner = await User.get_or_none(id=shop.owner_id)
    who = h(owner.first_name) if owner is not None else "?"
    if owner is not None and owner.username:
        who += f" @{h(owner.username)}"
    lines = [
        t(lang, "operator.review_title"),
        "",
        shop_summary(await card_for(shop), lang),
        "",
        t(lang, "operator.owner", owner=who, id=shop.owner_id),
    ]
    return fit_html("\n".join([*lines, "", outcome] if outcome else lines))


def review_buttons(shop_id: int, lang: str) -> InlineKeyboardMarkup:
    return inline(
        [
            [
                (t(lang, "operator.approve"), ApproveShop(shop_id=shop_id)),
                (t(lang, "operator.reject"), RejectShop(shop_id=shop_id)),
            ],
            [(t(lang, "operator.view_page"), ViewPendingShop(shop_id=shop_id))],
        ]
    )


def change_fields(change: ShopChange) -> list[str]:
    """The /myshop fields a waiting change touches: name, category, location, address."""
    present = {
        "name": change.name is not None,
        "category": change.category is not None,
        "location": change.lat is not None,
        "address": change.address is not None,
    }
    return [field for field, changed in present.items() if changed]


def change_labels(change: ShopChange, lang: str) -> str:
    """'✏️ Name, 📍 Location' — what the change is about, as the /myshop buttons say it."""
    return ", ".join(t(lang, f"myshop.field_{field}") for field in change_fields(change))


def change_lines(shop: Shop, change: ShopChange, lang: str) -> list[str]:
    """One 'field: old → new' line per changed field."""

    def line(field: str, old: str, new: str) -> str:
        return t(
            lang, "guards.change_line", field=t(lang, f"myshop.field_{field}"), old=old, new=new
        )

    lines = []
    if change.name is not None:
        lines.append(line("name", h(shop.name), h(change.name)))
    if change.category is not None:
        old, new = (t(lang, f"category.{c}") for c in (shop.category, change.category))
        lines.append(line("category", old, new))
    if change.lat is not None and change.lng is not None:
        lines.append(
            line(
                "location", f"{shop.lat:.5f}, {shop.lng:.5f}", f"{change.lat:.5f}, {change.lng:.5f}"
            )
        )
    if change.address is not None:
        lines.append(line("address", h(shop.address or "—"), h(change.address or "—")))
    return lines


async def change_review_text(shop: Shop, change: ShopChange, lang: str) -> str:
    """What an operator decides on: the shop as it is live, and each change."""
    owner = await User.get_or_none(id=shop.owner_id)
    who = h(owner.first_name) if owner is not None else "?"
    return "\n".join(
        [
            t(lang, "guards.change_review_title"),
            "",
            shop_summary(await card_for(shop), lang),
            "",
            *change_lines(shop, change, lang),
            "",
            t(lang, "operator.owner", owner=who, id=shop.owner_id),
        ]
    )


def change_buttons(change: ShopChange, lang: str) -> InlineKeyboardMarkup:
    rows: list[list[tuple[str, CallbackData]]] = [
        [
            (t(lang, "operator.approve"), ApproveChange(change_id=change.id)),
            (t(lang, "operator.reject"), RejectChange(change_id=change.id)),
        ]
    ]
    if change.lat is not None:
        rows.append([(t(lang, "guards.change_map"), ShowChangeLocation(change_id=change.id))])
    return inline(rows)


async def notify_operators_of_change(
    bot: Bot, config: Config, shop: Shop, change: ShopChange
) -> None:
    """Send every operator the change with Approve / Reject buttons."""
    for operator_id in sorted(config.operators):
        lang = await language_of(operator_id, config)
        try:
            await bot.send_message(
                operator_id,
                await change_review_text(shop, change, lang),
                reply_markup=change_buttons(change, lang),
            )
        except TelegramError as exc:
            log.warning(
                "could not tell operator %s about change %s: %s", operator_id, change.id, exc
            )


async def notify_operators(bot: Bot, config: Config, shop: Shop) -> None:
    """Send every operator the new shop with Approve / Reject buttons (unreachable operators
    are logged and skipped, the others still get it)."""
    for operator_id in sorted(config.operators):
        lang = await language_of(operator_id, config)
        try:
            await bot.send_message(
                operator_id,
                await review_text(shop, lang),
                reply_markup=review_buttons(shop.id, lang),
            )
        except TelegramError as exc:
            log.warning("could not tell operator %s about shop %s: %s", operator_id, shop.id, exc)
