"""The customer's shop page: opened from `ShopPage` buttons (search results, anywhere) and from
the deep link `/start shop_<id>` (QR posters). Only approved shops are shown (to their staff and
operators also before approval: the services in full and their photos).

Its continuation buttons (bot/ui/buttons/shop.py): the services in full (`AllServices`),
another page of them (`ServicesPage`), one service's photo (`ServicePhoto`)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.clock import now
from bot.i18n import t
from bot.models import Service, Shop, User
from bot.services.shops import get_shop, public_shop
from bot.services.staff import works_at
from bot.ui.base import Context, Deps, answer, deps, edit_in_place, expired, int_arg, say
from bot.ui.buttons.shop import AllServices, ServicePhoto, ServicesPage, ShopPage
from bot.ui.callbacks import any_of
from bot.views.shop import (
    ServiceItem,
    card_for,
    page_buttons,
    send_shop_page,
    service_caption,
    services_screen,
)


async def show_shop(update: Update, context: Context, shop_id: int | None) -> bool:
    """Send the shop's page to the chat; False (and a polite note) if it is not public."""
    user = context.user
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
    await answer(update)
    await show_shop(update, context, ShopPage.pressed(update).shop_id)


async def open_shop_from_link(update: Update, context: Context, token: str) -> None:
    """`/start shop_<id>`: a malformed id is as unavailable as an unknown one."""
    await show_shop(update, context, int_arg(token))


async def services_press(update: Update, context: Context) -> None:
    """The services in full: a new message, or another page in place."""
    user = context.user
    query = update.callback_query
    assert query is not None
    pressed = AllServices.unpack(query.data) or ServicesPage.pressed(update)
    shop = await _visible_shop(pressed.shop_id, user, context)
    if shop is None:
        await answer(update, t(user.language, "shop.unavailable"), alert=True)
        return
    await answer(update)
    card = await card_for(shop)
    text, markup = services_screen(card, user.language, deps(context).config, now(), pressed.page)
    if isinstance(pressed, ServicesPage):
        await edit_in_place(query, text, markup)
    else:
        await say(update, text, reply_markup=markup)


async def service_photo(update: Update, context: Context) -> None:
    """One service's photo, with its name, price and description."""
    user = context.user
    service_id = ServicePhoto.pressed(update).service_id
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
    await chat.send_photo(service.photo_file_id, caption=caption)


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
    app.add_handler(CallbackQueryHandler(open_shop, pattern=ShopPage.pattern()))
    app.add_handler(CallbackQueryHandler(services_press, pattern=any_of(AllServices, ServicesPage)))
    app.add_handler(CallbackQueryHandler(service_photo, pattern=ServicePhoto.pattern()))
