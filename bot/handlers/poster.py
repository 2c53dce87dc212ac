"""/poster and the shop menu's poster button: the shop's deep link and a printable QR poster.

Scanning the code with a phone camera opens the bot with `/start shop_<id>` (the `shop` deep
link, bot/handlers/shop_page.py), which shows the shop page once the shop is approved.
"""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.formatting import h
from bot.i18n import FALLBACK, has, t
from bot.models import Shop, ShopStatus, User
from bot.render import Poster, poster_png, renders
from bot.services.staff import Permission, require
from bot.ui.base import Context, Deps, answer, deps, refusing, shop_to_manage
from bot.ui.buttons.poster import PosterButton
from bot.ui.text import CAPTION_MAX, fit_html

STATUS_NOTES = {
    ShopStatus.PENDING: "poster.note_pending",
    ShopStatus.REJECTED: "poster.note_rejected",
}


def shop_link(bot_username: str, shop_id: int) -> str:
    """The link that opens the bot on the shop's page (what the poster's QR code holds)."""
    return f"https://t.me/{bot_username}?start=shop_{shop_id}"


def poster_for(shop: Shop, link: str, lang: str) -> Poster:
    """The poster's texts in the merchant's language, or English where the font cannot draw
    that language (no CJK font installed)."""
    texts = _poster_texts(shop, lang)
    if lang != FALLBACK and not all(renders(text) for text in texts):
        texts = _poster_texts(shop, FALLBACK)
    category, headline, footer = texts
    return Poster(title=shop.name, subtitle=category, headline=headline, link=link, footer=footer)


def _poster_texts(shop: Shop, lang: str) -> tuple[str, str, str]:
    key = f"category.{shop.category}"
    category = t(lang, key) if has(key) else shop.category
    return category, t(lang, "poster.call_to_action"), t(lang, "poster.footer")


async def poster_command(update: Update, context: Context) -> None:
    """/poster: the poster of the user's shop, or a choice when they manage several."""
    user = context.user
    shop = await shop_to_manage(
        update,
        user,
        permission=Permission.POSTER,
        choose_key="poster.pick_shop",
        choice_data=lambda s: PosterButton(shop_id=s.id),
    )
    if shop is not None:
        await send_poster(update, context, user, shop)


@refusing
async def poster_button(update: Update, context: Context) -> None:
    user = context.user
    shop = await require(user.id, PosterButton.pressed(update).shop_id, Permission.POSTER)
    await answer(update)
    await send_poster(update, context, user, shop)


async def send_poster(update: Update, context: Context, user: User, shop: Shop) -> None:
    """The poster as a PNG file (full resolution for printing) with the link in the caption."""
    lang = user.language
    chat = update.effective_chat
    assert chat is not None
    link = shop_link(deps(context).bot_username, shop.id)
    await chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    png = await asyncio.to_thread(poster_png, poster_for(shop, link, lang))
    caption = t(lang, "poster.caption", name=h(shop.name), link=h(link))
    note = STATUS_NOTES.get(shop.status)
    if note:
        caption += "\n\n" + t(lang, note)
    await chat.send_document(
        InputFile(png, filename=f"poster-shop-{shop.id}.png"),
        caption=fit_html(caption, CAPTION_MAX),
    )


def register(app: Application, _deps: Deps) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("poster", poster_command))
    app.add_handler(CallbackQueryHandler(poster_button, pattern=PosterButton.pattern()))
