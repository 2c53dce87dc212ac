"""The customer's shop page: opened from `shop:<id>` buttons (search results, anywhere) and from
the deep link `/start shop_<id>` (QR posters). Only approved shops are shown."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.clock import now
from bot.i18n import t
from bot.services.shops import public_shop
from bot.ui.base import (
    Context,
    Deps,
    answer,
    callback_args,
    current_user,
    deps,
    expired,
    int_arg,
    say,
)
from bot.views.shop import PREFIX, card_for, page_buttons, send_shop_page


async def show_shop(update: Update, context: Context, shop_id: int | None) -> bool:
    """Send the shop's page to the chat; False (and a polite note) if it is not public."""
    user = await current_user(update)
    shop = await public_shop(shop_id) if shop_id is not None else None
    if shop is None:
        await say(update, t(user.language, "shop.unavailable"))
        return False
    chat = update.effective_chat
    assert chat is not None
    await send_shop_page(
        chat,
        await card_for(shop),
        user.language,
        deps(context).config,
        now(),
        reply_markup=await page_buttons(shop, user, deps(context).shop_page_buttons),
    )
    return True


async def open_shop(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    args = callback_args(query, PREFIX, 1)
    shop_id = int_arg(args[0]) if args else None
    if shop_id is None:
        await expired(update, (await current_user(update)).language)
        return
    await answer(update)
    await show_shop(update, context, shop_id)


async def open_shop_from_link(update: Update, context: Context, token: str) -> None:
    """`/start shop_<id>`: a malformed id is as unavailable as an unknown one."""
    await show_shop(update, context, int_arg(token))


def register(app: Application, deps: Deps) -> None:  # type: ignore[type-arg]
    deps.deep_links["shop"] = open_shop_from_link
    app.add_handler(CallbackQueryHandler(open_shop, pattern=rf"^{PREFIX}:"))
