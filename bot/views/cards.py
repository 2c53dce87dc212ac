"""Membership cards as their holder sees them: the card image (tier colour, shop, tier, number,
a short-lived QR code) with its caption and buttons, a page of its history, and the line saying
what a shop will see of a member. Shared by the join flow, /cards and the card deep link.

The QR code holds `/start card_<token>` (bot/services/card_tokens.py): a signed, short-lived
token, so a screenshot or forwarded picture stops working after a few minutes; 🔄 New QR draws a
fresh one in place. The typed member number keeps working for earning points."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, InputFile, InputMediaPhoto, Message, Update
from telegram.constants import ChatAction

from bot import clock
from bot.config import Config
from bot.formatting import format_price, h
from bot.i18n import t
from bot.models import CardProgram, LedgerEntry, LedgerKind
from bot.services import card_tokens, cards
from bot.services.card_common import settings
from bot.services.cards import CardView, display_number
from bot.ui.base import Context, deps
from bot.ui.buttons.cards import CardHistory, CardPassword, NewQr, SetPin
from bot.ui.callbacks import CallbackData
from bot.ui.keyboards import inline
from bot.ui.text import CAPTION_MAX, Block, block, blocks, fit
from bot.views.card_faces import card_png
from bot.views.coupons import local_time

#: History lines per page.
HISTORY_PER_PAGE = 10
#: Profile fields a program may ask for, in the order they are asked.
FIELDS = ("name", "phone", "birthday")


# ------------------------------------------------------------------------ what a shop sees


def needed_fields(program: CardProgram) -> list[str]:
    """The profile fields the program asks of its members."""
    wanted = {
        "name": program.need_name,
        "phone": program.need_phone,
        "birthday": program.need_birthday,
    }
    return [name for name in FIELDS if wanted[name]]


def sees_line(lang: str, shop_name: str, fields: list[str]) -> str:
    """One line: what the shop will see of a member (staff always see a first name)."""
    seen = ["name" if "name" in fields else "first_name", *(f for f in fields if f != "name")]
    words = t(lang, "cards.list_separator").join(t(lang, f"cards.seen_{f}") for f in seen)
    return t(lang, "cards.sees", shop=h(shop_name), fields=words)


# ------------------------------------------------------------------------------- the card


def card_link(bot_username: str, token: str) -> str:
    """What the card's QR code holds: the bot opened on the counter (staff) or the card."""
    return f"https://t.me/{bot_username}?start=card_{token}"


def card_caption(view: CardView, lang: str, tz: str, config: Config) -> list[Block]:
    """The card's caption: shop, tier, number, points, balance, progress, QR note."""
    card = view.card
    tier = view.tier
    if tier.discount_percent:
        tier_line = t(
            lang, "cards.caption_discount", tier=h(tier.name), percent=tier.discount_percent
        )
    else:
        tier_line = t(lang, "cards.caption_tier", tier=h(tier.name))
    lines = [
        f"💳 <b>{h(view.shop.name)}</b>",
        tier_line,
        t(lang, "cards.caption_number", number=display_number(card.number)),
        t(lang, "cards.caption_points", points=card.points),
    ]
    if view.program.stored_value or card.balance_cents:
        lines.append(
            t(lang, "cards.caption_balance", amount=format_price(card.balance_cents, config))
        )
    if view.next_tier is not None and view.to_next_cents is not None:
        amount = format_price(view.to_next_cents, config)
        lines.append(t(lang, "cards.caption_progress", amount=amount, tier=h(view.next_tier.name)))
    elif view.next_tier is None:
        lines.append(t(lang, "cards.caption_top_tier"))
    parts = blocks(lines)
    now = clock.now()
    if card.locked_until is not None and card.locked_until > now:
        until = local_time(card.locked_until, tz)
        parts.append(block(t(lang, "cards.caption_locked", until=until)))
    elif needs_password(view.program) and not card.password_hash:
        parts.append(block(t(lang, "cards.caption_no_password")))
    minutes = settings().qr_minutes
    parts += blocks(["", t(lang, "cards.caption_qr", minutes=minutes)])
    return parts


def needs_password(program: CardProgram) -> bool:
    """Whether spending from the card needs a password: it holds value or points pay."""
    return program.stored_value or program.points_per_currency_unit_off > 0


def card_buttons(view: CardView, lang: str) -> InlineKeyboardMarkup:
    card_id = view.card.id
    rows: list[list[tuple[str, CallbackData]]] = [
        [
            (t(lang, "cards.new_qr_button"), NewQr(card_id=card_id)),
            (t(lang, "cards.history_button"), CardHistory(card_id=card_id)),
        ]
    ]
    if needs_password(view.program):
        if view.card.password_hash:
            rows.append([(t(lang, "cards.password_button"), CardPassword(card_id=card_id))])
        else:
            rows.append([(t(lang, "cards.set_pin_button"), SetPin(card_id=card_id))])
    return inline(rows)


async def card_picture(context: Context, view: CardView, lang: str) -> tuple[bytes, str]:
    """The card face (bot/views/card_faces.py, as the owner's /card previews draw it) with a
    freshly issued QR token, and the file name to send it under."""
    token = await card_tokens.issue(view.card, clock.now())
    png = await card_png(
        context.bot,
        shop_id=view.shop.id,
        shop_name=view.shop.name,
        tier_name=view.tier.name,
        colour=view.tier.colour,
        member_number=view.card.number,
        qr_payload=card_link(deps(context).bot_username, token),
        lang=lang,
    )
    return png, f"card-{view.card.number}.png"


async def send_card(update: Update, context: Context, view: CardView, *, note: str = "") -> Message:
    """The card as its image with caption and buttons, as a new message in the chat."""
    user = context.user
    lang = user.language
    chat = update.effective_chat
    assert chat is not None
    await chat.send_action(ChatAction.UPLOAD_PHOTO)
    png, name = await card_picture(context, view, lang)
    parts = ([*blocks([note, ""])] if note else []) + card_caption(
        view, lang, user.timezone, deps(context).config
    )
    return await chat.send_photo(
        InputFile(png, filename=name),
        caption=fit(parts, CAPTION_MAX).html,
        reply_markup=card_buttons(view, lang),
    )


async def show_own_card(update: Update, context: Context, card_id: int) -> bool:
    """The card as its image if it is the user's own; False (nothing sent) otherwise. For the
    card deep link: its holder opening it sees the card (staff scanning it get the counter)."""
    card = await cards.card_by_id(card_id)
    if card is None or card.user_id != context.user.id:
        return False
    await send_card(update, context, await cards.view_of(card))
    return True


async def refresh_card(update: Update, context: Context, view: CardView) -> None:
    """The pressed card message redrawn in place with a new QR (the old token simply
    expires)."""
    query = update.callback_query
    assert query is not None
    user = context.user
    lang = user.language
    png, name = await card_picture(context, view, lang)
    caption = fit(card_caption(view, lang, user.timezone, deps(context).config), CAPTION_MAX)
    await query.edit_message_media(
        InputMediaPhoto(png, caption=caption.html, filename=name),
        reply_markup=card_buttons(view, lang),
    )


# ---------------------------------------------------------------------------- its history


def entry_line(entry: LedgerEntry, lang: str, tz: str, config: Config) -> str:
    """One history line: when, what moved (a reason the shop gave, escaped, after it)."""
    kind = entry.kind
    if kind == LedgerKind.VOID:
        moved = []
        if entry.points_delta:
            moved.append(t(lang, "cards.void_points", points=f"{entry.points_delta:+d}"))
        if entry.balance_delta:
            amount = format_price(entry.balance_delta, config)
            moved.append(t(lang, "cards.void_balance", amount=amount))
        what = t(lang, "cards.list_separator").join(moved)
        text = t(lang, "cards.entry_void", what=what)
    elif kind == LedgerKind.ADJUST:
        text = t(lang, "cards.entry_adjust", points=f"{entry.points_delta:+d}")
    else:
        money = entry.amount_cents if kind == LedgerKind.EARN else abs(entry.balance_delta)
        amount = format_price(money, config)
        text = t(lang, f"cards.entry_{kind.value}", points=abs(entry.points_delta), amount=amount)
    if entry.reason and kind in {LedgerKind.ADJUST, LedgerKind.VOID}:
        text += f" — {h(entry.reason)}"
    return f"{local_time(entry.created_at, tz)} · {text}"


def history_screen(
    shop_name: str,
    card_id: int,
    entries: list[LedgerEntry],
    page: int,
    pages: int,
    lang: str,
    tz: str,
    config: Config,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of the card's history (newest first) with ◀ ▶, within one message."""
    if not entries:
        return t(lang, "cards.history_empty", shop=h(shop_name)), None
    title = t(lang, "cards.history_title", shop=h(shop_name), page=page + 1, pages=pages)
    parts = blocks([title, ""]) + [block(entry_line(entry, lang, tz, config)) for entry in entries]
    nav: list[tuple[str, CallbackData]] = []
    if page > 0:
        nav.append((t(lang, "cards.prev"), CardHistory(card_id=card_id, page=page - 1)))
    if page + 1 < pages:
        nav.append((t(lang, "cards.next"), CardHistory(card_id=card_id, page=page + 1)))
    return fit(parts).html, inline([nav]) if nav else None
