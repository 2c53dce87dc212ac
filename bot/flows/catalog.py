"""Services and products a merchant sells: /services (or the `cat:list:<shop_id>` button of the
shop menu) lists them; buttons open one to edit, hide, move or delete it; adding one and editing
a field are steps of one persistent conversation, so a restart mid-step resumes it.

Callback data, each validated on every press (record exists, presser may edit its catalogue):
  cat:list:<shop>   the list as a new message (entry from other screens)
  cat:shop:<shop>   the list in place of the pressed catalogue message
  cat:add:<shop>    add a service (flow)
  cat:open:<svc>    a service's card
  cat:edit:<svc>:<field>   change name | price | desc | photo (flow)
  cat:hide:<svc>:<1|0>     hide from / show on the customer page
  cat:up:<svc>      move one place up
  cat:del:<svc>     ask to confirm deletion;  cat:delok:<svc>  delete
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.config import Config
from bot.formatting import format_price, h
from bot.i18n import t
from bot.models import Service, Shop, User
from bot.services import catalog
from bot.services.catalog import CatalogError, Limits, ServiceDraft
from bot.services.shops import get_shop
from bot.services.staff import NotAllowed, Permission, require, shop_if_allowed
from bot.ui.base import (
    Context,
    Deps,
    answer,
    callback_args,
    current_user,
    deps,
    expired,
    int_arg,
    refusing,
    say,
    shop_to_manage,
)
from bot.ui.flow import END, PLAIN_TEXT, SKIP_LABEL, draft, flow_fallbacks, show_menu
from bot.ui.keyboards import any_label_pattern, choice_keyboard, inline
from bot.ui.text import CAPTION_MAX, TEXT_MAX, block, blocks, cut, fit

PREFIX = "cat"
# Conversation states (strings: they are persisted, and must survive code edits).
NAME, PRICE, DESCRIPTION, PHOTO = "add_name", "add_price", "add_description", "add_photo"
EDIT_STATES = {
    "name": "edit_name",
    "price": "edit_price",
    "desc": "edit_desc",
    "photo": "edit_photo",
}
REMOVE_DESCRIPTION = filters.Regex(any_label_pattern(["catalog.remove_description"]))
REMOVE_PHOTO = filters.Regex(any_label_pattern(["catalog.remove_photo"]))
#: A service's description keeps at least this much beside its photo (a caption).
DESCRIPTION_FLOOR = 200
NOT_TEXT = ~filters.TEXT & ~filters.COMMAND
NOT_PHOTO = (
    ~filters.PHOTO & ~filters.COMMAND & ~filters.Regex(any_label_pattern(["common.cancel_button"]))
)


# ------------------------------------------------------------------------------- screens


def list_screen(
    shop: Shop, services: list[Service], lang: str, config: Config
) -> tuple[str, InlineKeyboardMarkup]:
    """The catalogue of one shop: every service with price and hidden state, one button each."""
    parts = blocks([t(lang, "catalog.list_title", shop=h(shop.name)), ""])
    if not services:
        parts.append(block(t(lang, "catalog.list_empty")))
    for i, service in enumerate(services, 1):
        hidden = f" · {t(lang, 'catalog.hidden_mark')}" if service.hidden else ""
        price = format_price(service.price_cents, config)
        parts.append(block(f"{i}. {h(service.name)} — {price}{hidden}", drop=1))
    if services:
        parts += blocks(["", t(lang, "catalog.list_hint")])
    rows = [[(_button_label(s, config), f"{PREFIX}:open:{s.id}")] for s in services]
    rows.append([(t(lang, "catalog.add_button"), f"{PREFIX}:add:{shop.id}")])
    text = fit(parts, more=lambda count: t(lang, "limits.more_below", count=count)).html
    return text, inline(rows)


def card_screen(
    service: Service, lang: str, config: Config, *, first: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """One service as the merchant manages it (the photo, if any, is the message's picture,
    and then its description gives way to fit the caption)."""
    description = (
        cut(service.description, DESCRIPTION_FLOOR, markup="📝 <i>", end="</i>")
        if service.description
        else f"📝 {t(lang, 'catalog.no_description')}"
    )
    photo = "catalog.photo_yes" if service.photo_file_id else "catalog.photo_no"
    state = "catalog.state_hidden" if service.hidden else "catalog.state_shown"
    lines = [
        f"<b>{h(service.name)}</b>",
        f"💰 {format_price(service.price_cents, config)}",
        description,
        t(lang, photo),
        "",
        t(lang, state),
    ]
    text = fit([block(*lines)], CAPTION_MAX if service.photo_file_id else TEXT_MAX).html
    sid = service.id
    toggle = (
        (t(lang, "catalog.show_button"), f"{PREFIX}:hide:{sid}:0")
        if service.hidden
        else (t(lang, "catalog.hide_button"), f"{PREFIX}:hide:{sid}:1")
    )
    third = [toggle] if first else [toggle, (t(lang, "catalog.up_button"), f"{PREFIX}:up:{sid}")]
    rows = [
        [
            (t(lang, "catalog.edit_name"), f"{PREFIX}:edit:{sid}:name"),
            (t(lang, "catalog.edit_price"), f"{PREFIX}:edit:{sid}:price"),
        ],
        [
            (t(lang, "catalog.edit_description"), f"{PREFIX}:edit:{sid}:desc"),
            (t(lang, "catalog.edit_photo"), f"{PREFIX}:edit:{sid}:photo"),
        ],
        third,
        [(t(lang, "catalog.delete_button"), f"{PREFIX}:del:{sid}")],
        [(t(lang, "common.back"), f"{PREFIX}:shop:{service.shop_id}")],
    ]
    return text, inline(rows)


def confirm_delete_screen(service: Service, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    text = t(lang, "catalog.delete_confirm", name=h(service.name))
    rows = [
        [
            (t(lang, "catalog.delete_yes"), f"{PREFIX}:delok:{service.id}"),
            (t(lang, "catalog.delete_no"), f"{PREFIX}:open:{service.id}"),
        ]
    ]
    return text, inline(rows)


def _button_label(service: Service, config: Config) -> str:
    mark = "🙈 " if service.hidden else ""
    return f"{mark}{service.name} · {format_price(service.price_cents, config)}"


async def _show(
    update: Update,
    text: str,
    markup: InlineKeyboardMarkup,
    *,
    photo: str | None = None,
    replace: bool = True,
) -> None:
    """Show a screen in place of the pressed catalogue message when the kinds match (text for
    text, photo for photo), otherwise as a new message that replaces the old one, so the chat
    holds one catalogue screen rather than a trail of stale ones."""
    query = update.callback_query
    old = query.message if query is not None and replace else None
    if isinstance(old, Message) and await _edit(old, text, markup, photo=photo):
        return
    chat = update.effective_chat
    assert chat is not None
    if photo is None:
        await chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    else:
        await chat.send_photo(photo, caption=text, parse_mode=ParseMode.HTML, reply_markup=markup)
    if isinstance(old, Message):
        with suppress(BadRequest):  # too old to delete (48 h): it just stays
            await old.delete()


async def _edit(
    message: Message, text: str, markup: InlineKeyboardMarkup, *, photo: str | None
) -> bool:
    """Edit the message into the screen if it is of the same kind; False if it cannot be."""
    try:
        if photo is None and message.text is not None:
            await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        elif photo is not None and message.photo:
            await message.edit_caption(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        else:
            return False
    except BadRequest as error:
        return "not modified" in error.message  # a second tap on the same button
    return True


async def _show_list(
    update: Update, context: Context, lang: str, shop: Shop, *, replace: bool
) -> None:
    text, markup = list_screen(shop, await catalog.services_of(shop.id), lang, deps(context).config)
    await _show(update, text, markup, replace=replace)


async def _show_card(update: Update, context: Context, lang: str, service: Service) -> None:
    ordered = await catalog.services_of(service.shop_id)
    first = bool(ordered) and ordered[0].id == service.id
    text, markup = card_screen(service, lang, deps(context).config, first=first)
    await _show(update, text, markup, photo=service.photo_file_id)


# ---------------------------------------------------------------------- browsing (no flow)


async def services_command(update: Update, context: Context) -> None:
    """/services: the catalogue of the user's shop, or a choice when they manage several."""
    user = await current_user(update)
    shop = await shop_to_manage(
        update,
        user,
        permission=Permission.MANAGE_SERVICES,
        choose_key="catalog.pick_shop",
        choice_data=lambda s: f"{PREFIX}:shop:{s.id}",
    )
    if shop is not None:
        await _show_list(update, context, user.language, shop, replace=False)


@refusing
async def on_button(update: Update, context: Context) -> None:
    """Every `cat:` press outside the add/edit flow; forged or stale data changes nothing."""
    user = await current_user(update)
    query = update.callback_query
    assert query is not None
    action, _, rest = (query.data or "").removeprefix(f"{PREFIX}:").partition(":")
    handler = _BUTTONS.get(action)
    if handler is None or not await handler(update, context, user, rest.split(":")):
        await expired(update, user.language)


async def _list_new(update: Update, context: Context, user: User, args: list[str]) -> bool:
    return await _list(update, context, user, args, replace=False)


async def _list_in_place(update: Update, context: Context, user: User, args: list[str]) -> bool:
    return await _list(update, context, user, args, replace=True)


async def _list(
    update: Update, context: Context, user: User, args: list[str], *, replace: bool
) -> bool:
    shop = await _managed_shop(user, args)
    if shop is None:
        return False
    await answer(update)
    await _show_list(update, context, user.language, shop, replace=replace)
    return True


async def _open(update: Update, context: Context, user: User, args: list[str]) -> bool:
    service = await _managed_service(user, args, 1)
    if service is None:
        return False
    await answer(update)
    await _show_card(update, context, user.language, service)
    return True


async def _hide(update: Update, context: Context, user: User, args: list[str]) -> bool:
    service = await _managed_service(user, args, 2)
    if service is None or args[1] not in ("0", "1"):
        return False
    hidden = args[1] == "1"
    await catalog.set_hidden(service, hidden)
    await answer(
        update, t(user.language, "catalog.hidden_done" if hidden else "catalog.shown_done")
    )
    await _show_card(update, context, user.language, service)
    return True


async def _up(update: Update, context: Context, user: User, args: list[str]) -> bool:
    service = await _managed_service(user, args, 1)
    if service is None:
        return False
    await catalog.move_up(service)
    await answer(update, t(user.language, "catalog.moved_up"))
    await _show_card(update, context, user.language, service)
    return True


async def _ask_delete(update: Update, context: Context, user: User, args: list[str]) -> bool:
    service = await _managed_service(user, args, 1)
    if service is None:
        return False
    await answer(update)
    text, markup = confirm_delete_screen(service, user.language)
    await _show(update, text, markup, photo=service.photo_file_id)
    return True


async def _delete(update: Update, context: Context, user: User, args: list[str]) -> bool:
    service = await _managed_service(user, args, 1)
    if service is None:
        return False
    shop = await get_shop(service.shop_id)
    await catalog.delete_service(service)
    await answer(update, t(user.language, "catalog.deleted", name=service.name))
    if shop is not None:
        await _show_list(update, context, user.language, shop, replace=True)
    return True


_BUTTONS = {
    "list": _list_new,
    "shop": _list_in_place,
    "open": _open,
    "hide": _hide,
    "up": _up,
    "del": _ask_delete,
    "delok": _delete,
}


async def _managed_shop(user: User, args: list[str]) -> Shop | None:
    """The shop named by `<shop>` (None if malformed) if the user may change its catalogue
    (NotAllowed otherwise)."""
    shop_id = int_arg(args[0]) if len(args) == 1 else None
    return None if shop_id is None else await require(user.id, shop_id, Permission.MANAGE_SERVICES)


async def _managed_service(user: User, args: list[str], count: int) -> Service | None:
    service_id = int_arg(args[0]) if len(args) == count else None
    return None if service_id is None else await catalog.managed_service(user.id, service_id)


# ------------------------------------------------------------------------------ add flow


@refusing
async def start_add(update: Update, context: Context) -> str | int:
    user = await current_user(update)
    query = update.callback_query
    assert query is not None
    args = callback_args(query, PREFIX, 2) or ["", ""]
    shop = await _managed_shop(user, [args[1]]) if args[0] == "add" else None
    if shop is None:
        await expired(update, user.language)
        return END
    if len(await catalog.services_of(shop.id)) >= catalog.MAX_SERVICES:
        full = CatalogError("too_many", max=catalog.MAX_SERVICES)
        await answer(update, _error(user.language, full, context), alert=True)
        return END
    await answer(update)
    context.user_data["draft"] = {"shop_id": shop.id}  # type: ignore[index]
    await _ask(update, user, "catalog.ask_name", max=_limits(context).name_max)
    return NAME


async def add_name(update: Update, context: Context) -> str:
    user = await current_user(update)
    state = draft(context)
    try:
        name = _limits(context).name(_text(update))
        await catalog.ensure_name_free(state["shop_id"], name)
    except CatalogError as error:
        await _reask(update, user, error, context)
        return NAME
    state["name"] = name
    await _ask(update, user, "catalog.ask_price", name=h(name), example=_example_price(context))
    return PRICE


async def add_price(update: Update, context: Context) -> str:
    user = await current_user(update)
    try:
        cents = _limits(context).price(_text(update))
    except CatalogError as error:
        await _reask(update, user, error, context)
        return PRICE
    draft(context)["price_cents"] = cents
    await _ask(
        update, user, "catalog.ask_description", skip=True, max=_limits(context).description_max
    )
    return DESCRIPTION


async def add_description(update: Update, context: Context) -> str:
    user = await current_user(update)
    try:
        description = _limits(context).description(_text(update))
    except CatalogError as error:
        await _reask(update, user, error, context)
        return DESCRIPTION
    draft(context)["description"] = description
    await _ask(update, user, "catalog.ask_photo", skip=True)
    return PHOTO


async def skip_description(update: Update, context: Context) -> str:
    user = await current_user(update)
    draft(context)["description"] = ""
    await _ask(update, user, "catalog.ask_photo", skip=True)
    return PHOTO


async def add_photo(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None and message.photo
    return await _finish_add(update, context, message.photo[-1].file_id)


async def skip_photo(update: Update, context: Context) -> int:
    return await _finish_add(update, context, None)


async def _finish_add(update: Update, context: Context, photo_file_id: str | None) -> int:
    user = await current_user(update)
    lang = user.language
    state = draft(context)
    context.user_data.pop("draft", None)  # type: ignore[union-attr]
    shop = await shop_if_allowed(user.id, state["shop_id"], Permission.MANAGE_SERVICES)
    if shop is None:
        await show_menu(update, user, t(lang, "common.not_allowed"))
        return END
    new = ServiceDraft(
        state["name"], state["price_cents"], state.get("description", ""), photo_file_id
    )
    try:
        service = await catalog.add_service(shop.id, new, _limits(context))
    except CatalogError as error:  # e.g. the same name added meanwhile from another phone
        await _reask(update, user, error, context)
        await show_menu(update, user, t(lang, "common.cancelled"))
        return END
    price = format_price(service.price_cents, deps(context).config)
    await show_menu(update, user, t(lang, "catalog.added", name=service.name, price=price))
    await _show_list(update, context, lang, shop, replace=False)
    return END


# ----------------------------------------------------------------------------- edit flow


@refusing
async def start_edit(update: Update, context: Context) -> str | int:
    user = await current_user(update)
    lang = user.language
    query = update.callback_query
    assert query is not None
    args = callback_args(query, PREFIX, 3) or ["", "", ""]
    field = args[2]
    service = None
    if args[0] == "edit" and field in EDIT_STATES:
        service = await _managed_service(user, [args[1]], 1)
    if service is None:
        await expired(update, lang)
        return END
    await answer(update)
    context.user_data["draft"] = {"service_id": service.id}  # type: ignore[index]
    config = deps(context).config
    name = h(service.name)
    if field == "name":
        await _ask(update, user, "catalog.ask_new_name", name=name, max=_limits(context).name_max)
    elif field == "price":
        price = format_price(service.price_cents, config)
        await _ask(
            update,
            user,
            "catalog.ask_new_price",
            name=name,
            price=price,
            example=_example_price(context),
        )
    elif field == "desc":
        extra = [t(lang, "catalog.remove_description")] if service.description else []
        await _ask(
            update,
            user,
            "catalog.ask_new_description",
            extra=extra,
            name=name,
            max=_limits(context).description_max,
        )
    else:
        extra = [t(lang, "catalog.remove_photo")] if service.photo_file_id else []
        await _ask(update, user, "catalog.ask_new_photo", extra=extra, name=name)
    return EDIT_STATES[field]


async def edit_name(update: Update, context: Context) -> str | int:
    return await _save(update, context, EDIT_STATES["name"], lambda limits: {"name": _text(update)})


async def edit_price(update: Update, context: Context) -> str | int:
    return await _save(
        update,
        context,
        EDIT_STATES["price"],
        lambda limits: {"price_cents": limits.price(_text(update))},
    )


async def edit_description(update: Update, context: Context) -> str | int:
    return await _save(
        update, context, EDIT_STATES["desc"], lambda limits: {"description": _text(update)}
    )


async def remove_description(update: Update, context: Context) -> str | int:
    return await _save(update, context, EDIT_STATES["desc"], lambda limits: {"description": ""})


async def edit_photo(update: Update, context: Context) -> str | int:
    message = update.effective_message
    assert message is not None and message.photo
    file_id = message.photo[-1].file_id
    return await _save(
        update, context, EDIT_STATES["photo"], lambda limits: {"photo_file_id": file_id}
    )


async def remove_photo(update: Update, context: Context) -> str | int:
    return await _save(
        update, context, EDIT_STATES["photo"], lambda limits: {"photo_file_id": None}
    )


async def _save(
    update: Update, context: Context, state: str, changes: Callable[[Limits], dict[str, object]]
) -> str | int:
    """Apply one field change; a bad value re-asks (same state), success shows the card."""
    user = await current_user(update)
    lang = user.language
    service_id = draft(context).get("service_id")
    try:
        service = await catalog.managed_service(user.id, service_id) if service_id else None
    except NotAllowed:
        service = None
    if service is None:
        context.user_data.pop("draft", None)  # type: ignore[union-attr]
        await show_menu(update, user, t(lang, "catalog.gone"))
        return END
    limits = _limits(context)
    try:
        await catalog.update_service(service, limits, **changes(limits))
    except CatalogError as error:
        await _reask(update, user, error, context)
        return state
    context.user_data.pop("draft", None)  # type: ignore[union-attr]
    await show_menu(update, user, t(lang, "common.saved"))
    await _show_card(update, context, lang, service)
    return END


# ------------------------------------------------------------------------ step helpers


async def _ask(
    update: Update,
    user: User,
    key: str,
    *,
    skip: bool = False,
    extra: list[str] | None = None,
    **params: object,
) -> None:
    lang = user.language
    await say(
        update,
        t(lang, key, **params),
        parse_mode=ParseMode.HTML,
        reply_markup=choice_keyboard(lang, extra or [], skip=skip),
    )


async def _reask(update: Update, user: User, error: CatalogError, context: Context) -> None:
    """Say what was wrong; the keyboard of the step stays as it was."""
    await say(update, _error(user.language, error, context), parse_mode=ParseMode.HTML)


async def not_text(update: Update, context: Context) -> None:
    user = await current_user(update)
    await say(update, t(user.language, "catalog.error_not_text"))


async def not_photo(update: Update, context: Context) -> None:
    user = await current_user(update)
    await say(update, t(user.language, "catalog.error_not_photo"))


def _error(lang: str, error: CatalogError, context: Context) -> str:
    params = dict(error.params)
    if error.reason == "price_too_high":
        params["max"] = format_price(int(params["max"]) * 100, deps(context).config)  # type: ignore[call-overload]
    if "name" in params:
        params["name"] = h(str(params["name"]))
    return t(lang, f"catalog.error_{error.reason}", **params)


def _text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message is not None else ""


def _limits(context: Context) -> Limits:
    return Limits.of(deps(context).config)


def _example_price(context: Context) -> str:
    return format_price(2850, deps(context).config)


# ------------------------------------------------------------------------------- wiring


Callback = Callable[[Update, Context], Awaitable[object]]


def _step(on_text: Callback, *, skip: Callback | None = None) -> list[BaseHandler]:  # type: ignore[type-arg]
    """A text step: optional Skip button, the text itself, and a re-ask for anything else."""
    handlers: list[BaseHandler] = []  # type: ignore[type-arg]
    if skip is not None:
        handlers.append(MessageHandler(SKIP_LABEL, skip))
    handlers += [MessageHandler(PLAIN_TEXT, on_text), MessageHandler(NOT_TEXT, not_text)]
    return handlers


def _photo_step(
    on_photo: Callback, on_other: Callback, other: filters.BaseFilter
) -> list[BaseHandler]:  # type: ignore[type-arg]
    """A photo step: the photo, one labelled alternative (Skip, Remove), a re-ask for the rest."""
    return [
        MessageHandler(filters.PHOTO, on_photo),
        MessageHandler(other, on_other),
        MessageHandler(NOT_PHOTO, not_photo),
    ]


def register(app: Application, _deps: Deps) -> None:  # type: ignore[type-arg]
    flow = ConversationHandler(
        entry_points=[
            CallbackQueryHandler(start_add, pattern=rf"^{PREFIX}:add:"),
            CallbackQueryHandler(start_edit, pattern=rf"^{PREFIX}:edit:"),
        ],
        states={
            NAME: _step(add_name),
            PRICE: _step(add_price),
            DESCRIPTION: _step(add_description, skip=skip_description),
            PHOTO: _photo_step(add_photo, skip_photo, SKIP_LABEL),
            EDIT_STATES["name"]: _step(edit_name),
            EDIT_STATES["price"]: _step(edit_price),
            EDIT_STATES["desc"]: [
                MessageHandler(REMOVE_DESCRIPTION, remove_description),
                *_step(edit_description),
            ],
            EDIT_STATES["photo"]: _photo_step(edit_photo, remove_photo, REMOVE_PHOTO),
        },
        fallbacks=flow_fallbacks(),
        name="catalog",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(flow)
    app.add_handler(CommandHandler("services", services_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}:"))
