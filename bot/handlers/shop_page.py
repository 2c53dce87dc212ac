"""The customer's shop page: opened from `shop:<id>` buttons (search results, anywhere) and from
the deep link `/start shop_<id>` (QR posters). Only approved shops are shown (to their staff and
operators also before approval: the services in full and their photos).

Its continuation buttons (bot.views.shop.more_data): `shop:svc:<shop>:0` the services in full,
`shop:svp:<shop>:<page>` another page of them, `shop:pic:<service>:0` one service's photo."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler

from bot.clock import now
from bot.i18n import t
from bot.models import Service, Shop, User
from bot.services.shops import get_shop, public_shop
from bot.services.staff import works_at
from bot.ui.base import (
    Context,
    Deps,
    answer,
    callback_args,
    current_user,
    deps,
    edit_in_place,
    expired,
    int_arg,
    say,
)
from bot.views.shop import (
    MORE_KINDS,
    PREFIX,
    ServiceItem,
    card_for,
    page_buttons,
    read_more_data,
    send_shop_page,
    service_caption,
    services_screen,
)


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


async def more_press(update: Update, context: Context) -> None:
    """The services in full (a new message, or another page in place) or a service's photo."""
    user = await current_user(update)
    query = update.callback_query
    assert query is not None
    pressed = read_more_data(query.data or "")
    if pressed is None:
        await expired(update, user.language)
        return
    kind, record_id, number = pressed
    if kind == "pic":
        await _service_photo(update, context, user, record_id)
        return
    shop = await _visible_shop(record_id, user, context)
    if shop is None:
        await answer(update, t(user.language, "shop.unavailable"), alert=True)
        return
    await answer(update)
    card = await card_for(shop)
    text, markup = services_screen(card, user.language, deps(context).config, now(), number)
    if kind == "svp":
        await edit_in_place(query, text, markup)
    else:
        await say(update, text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _service_photo(update: Update, context: Context, user: User, service_id: int) -> None:
    service = await Service.get_or_none(id=service_id, hidden=False)
    shop = await _visible_shop(service.shop_id, user, context) if service else None
    if service is None or shop is None or not service.photo_file_id:
        await expired(update, user.language)
        return
    await answer(update)
    chat = update.effective_chat
    assert chat is not None
    item = ServiceItem(service.name, service.price_cents, service.description)
    caption = service_caption(item, shop.name, deps(context).config)
    await chat.send_photo(service.photo_file_id, caption=caption, parse_mode=ParseMode.HTML)


async def _visible_shop(shop_id: int, user: User, context: Context) -> Shop | None:
    """The shop if customers may see it, or the viewer runs it or reviews shops."""
    shop = await public_shop(shop_id)
    if shop is not None:
        return shop
    if user.id in deps(context).config.operators or await works_at(user.id, shop_id):
        return await get_shop(shop_id)
    return None


def register(app: Application, deps: Deps) -> None:  # type: ignore[type-arg]
    deps.deep_links["shop"] = open_shop_from_link
    more = "|".join(MORE_KINDS)
    app.add_handler(CallbackQueryHandler(more_press, pattern=rf"^{PREFIX}:(?:{more}):"))
    app.add_handler(CallbackQueryHandler(open_shop, pattern=rf"^{PREFIX}:"))
