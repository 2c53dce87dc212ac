"""Services and products a merchant sells: /services (or the shop menu's `ServiceList` button)
lists them; buttons open one to edit, hide, move or delete it; adding one and editing a field
are steps of one persistent conversation, so a restart mid-step resumes it.

Button data: bot/ui/buttons/catalog.py, each press validated (record exists, presser may edit
its catalogue).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
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
    deps,
    expired,
    refusing,
    say,
    shop_to_manage,
)
from bot.ui.buttons.catalog import (
    AddService,
    CatalogButton,
    ConfirmDeleteService,
    DeleteService,
    EditService,
    HideService,
    MoveServiceUp,
    OpenService,
    ServiceList,
    ServiceListInPlace,
)
from bot.ui.callbacks import CallbackData
from bot.ui.flow import (
    END,
    PLAIN_TEXT,
    SKIP_LABEL,
    Flow,
    add_flow,
    draft,
    flow_fallbacks,
    new_draft,
    show_menu,
)
from bot.ui.keyboards import any_label_pattern, choice_keyboard, inline
from bot.ui.text import CAPTION_MAX, TEXT_MAX, block, blocks, cut, fit

FLOW = "catalog"
# Conversation states (strings: they are persisted, and must survive code edits).
NAME, PRICE = "catalog.add_name", "catalog.add_price"
DESCRIPTION, PHOTO = "catalog.add_description", "catalog.add_photo"
EDIT_STATES = {
    "name": "catalog.edit_name",
    "price": "catalog.edit_price",
    "desc": "catalog.edit_desc",
    "photo": "catalog.edit_photo",
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
    rows: list[list[tuple[str, CallbackData]]] = [
        [(_button_label(s, config), OpenService(service_id=s.id))] for s in services
    ]
    rows.append([(t(lang, "catalog.add_button"), AddService(shop_id=shop.id))])
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
    toggle: tuple[str, CallbackData] = (
        (t(lang, "catalog.show_button"), HideService(service_id=sid, hidden=False))
        if service.hidden
        else (t(lang, "catalog.hide_button"), HideService(service_id=sid, hidden=True))
    )
    up = (t(lang, "catalog.up_button"), MoveServiceUp(service_id=sid))
    third = [toggle] if first else [toggle, up]
    rows = [
        [
            (t(lang, "catalog.edit_name"), EditService(service_id=sid, field="name")),
            (t(lang, "catalog.edit_price"), EditService(service_id=sid, field="price")),
        ],
        [
            (t(lang, "catalog.edit_description"), EditService(service_id=sid, field="desc")),
            (t(lang, "catalog.edit_photo"), EditService(service_id=sid, field="photo")),
        ],
        third,
        [(t(lang, "catalog.delete_button"), DeleteService(service_id=sid))],
        [(t(lang, "common.back"), ServiceListInPlace(shop_id=service.shop_id))],
    ]
    return text, inline(rows)


def confirm_delete_screen(service: Service, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    text = t(lang, "catalog.delete_confirm", name=h(service.name))
    rows = [
        [
            (t(lang, "catalog.delete_yes"), ConfirmDeleteService(service_id=service.id)),
            (t(lang, "catalog.delete_no"), OpenService(service_id=service.id)),
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
        await chat.send_message(text, reply_markup=markup)
    else:
        await chat.send_photo(photo, caption=text, reply_markup=markup)
    if isinstance(old, Message):
        with suppress(BadRequest):  # too old to delete (48 h): it just stays
            await old.delete()


async def _edit(
    message: Message, text: str, markup: InlineKeyboardMarkup, *, photo: str | None
) -> bool:
    """Edit the message into the screen if it is of the same kind; False if it cannot be."""
    try:
        if photo is None and message.text is not None:
            await message.edit_text(text, reply_markup=markup)
        elif photo is not None and message.photo:
            await message.edit_caption(text, reply_markup=markup)
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
    user = context.user
    shop = await shop_to_manage(
        update,
        user,
        permission=Permission.MANAGE_SERVICES,
        choose_key="catalog.pick_shop",
        choice_data=lambda s: ServiceListInPlace(shop_id=s.id),
    )
    if shop is not None:
        await _show_list(update, context, user.language, shop, replace=False)


@refusing
async def on_button(update: Update, context: Context) -> None:
    """Every catalogue press outside the add/edit flow; stale data changes nothing."""
    user = context.user
    if not await _press(update, context, user, CatalogButton.pressed(update)):
        await expired(update, user.language)


async def _press(update: Update, context: Context, user: User, pressed: CatalogButton) -> bool:
    """Act on a press for a shop or service the presser manages; False if it is not theirs
    (or gone, or a flow's button pressed outside it)."""
    lang = user.language
    match pressed:
        case ServiceList(shop_id=shop_id) | ServiceListInPlace(shop_id=shop_id):
            shop = await require(user.id, shop_id, Permission.MANAGE_SERVICES)
            await answer(update)
            replace = isinstance(pressed, ServiceListInPlace)
            await _show_list(update, context, lang, shop, replace=replace)
            return True
        case OpenService(service_id=service_id):
            service = await catalog.managed_service(user.id, service_id)
            if service is None:
                return False
            await answer(update)
        case HideService(service_id=service_id, hidden=hidden):
            service = await catalog.managed_service(user.id, service_id)
            if service is None:
                return False
            await catalog.set_hidden(service, hidden)
            await answer(update, t(lang, "catalog.hidden_done" if hidden else "catalog.shown_done"))
        case MoveServiceUp(service_id=service_id):
            service = await catalog.managed_service(user.id, service_id)
            if service is None:
                return False
            await catalog.move_up(service)
            await answer(update, t(lang, "catalog.moved_up"))
        case DeleteService(service_id=service_id):
            service = await catalog.managed_service(user.id, service_id)
            if service is None:
                return False
            await answer(update)
            text, markup = confirm_delete_screen(service, lang)
            await _show(update, text, markup, photo=service.photo_file_id)
            return True
        case ConfirmDeleteService(service_id=service_id):
            service = await catalog.managed_service(user.id, service_id)
            if service is None:
                return False
            shop = await get_shop(service.shop_id)
            await catalog.delete_service(service)
            await answer(update, t(lang, "catalog.deleted", name=service.name))
            if shop is not None:
                await _show_list(update, context, lang, shop, replace=True)
            return True
        case _:
            return False
    await _show_card(update, context, lang, service)
    return True


# ------------------------------------------------------------------------------ add flow


@refusing
async def start_add(update: Update, context: Context) -> str | int:
    user = context.user
    shop = await require(user.id, AddService.pressed(update).shop_id, Permission.MANAGE_SERVICES)
    if len(await catalog.services_of(shop.id)) >= catalog.MAX_SERVICES:
        full = CatalogError("too_many", max=catalog.MAX_SERVICES)
        await answer(update, _error(user.language, full, context), alert=True)
        return END
    await answer(update)
    new_draft(context, FLOW, shop_id=shop.id)
    await _ask(update, user, "catalog.ask_name", max=_limits(context).name_max)
    return NAME


async def add_name(update: Update, context: Context) -> str:
    user = context.user
    state = draft(context, FLOW)
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
    user = context.user
    try:
        cents = _limits(context).price(_text(update))
    except CatalogError as error:
        await _reask(update, user, error, context)
        return PRICE
    draft(context, FLOW)["price_cents"] = cents
    await _ask(
        update, user, "catalog.ask_description", skip=True, max=_limits(context).description_max
    )
    return DESCRIPTION


async def add_description(update: Update, context: Context) -> str:
    user = context.user
    try:
        description = _limits(context).description(_text(update))
    except CatalogError as error:
        await _reask(update, user, error, context)
        return DESCRIPTION
    draft(context, FLOW)["description"] = description
    await _ask(update, user, "catalog.ask_photo", skip=True)
    return PHOTO


async def skip_description(update: Update, context: Context) -> str:
    user = context.user
    draft(context, FLOW)["description"] = ""
    await _ask(update, user, "catalog.ask_photo", skip=True)
    return PHOTO


async def add_photo(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None and message.photo
    return await _finish_add(update, context, message.photo[-1].file_id)


async def skip_photo(update: Update, context: Context) -> int:
    return await _finish_add(update, context, None)


async def _finish_add(update: Update, context: Context, photo_file_id: str | None) -> int:
    user = context.user
    lang = user.language
    state = draft(context, FLOW)
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
    await show_menu(update, user, t(lang, "catalog.added", name=h(service.name), price=price))
    await _show_list(update, context, lang, shop, replace=False)
    return END


# ----------------------------------------------------------------------------- edit flow


@refusing
async def start_edit(update: Update, context: Context) -> str | int:
    user = context.user
    lang = user.language
    query = update.callback_query
    assert query is not None
    pressed = EditService.pressed(update)
    field = pressed.field
    service = await catalog.managed_service(user.id, pressed.service_id)
    if service is None:
        await expired(update, lang)
        return END
    await answer(update)
    new_draft(context, FLOW, service_id=service.id)
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
    user = context.user
    lang = user.language
    service_id = draft(context, FLOW).get("service_id")
    try:
        service = await catalog.managed_service(user.id, service_id) if service_id else None
    except NotAllowed:
        service = None
    if service is None:
        await show_menu(update, user, t(lang, "catalog.gone"))
        return END
    limits = _limits(context)
    try:
        await catalog.update_service(service, limits, **changes(limits))
    except CatalogError as error:
        await _reask(update, user, error, context)
        return state
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
        reply_markup=choice_keyboard(lang, extra or [], skip=skip),
    )


async def _reask(update: Update, user: User, error: CatalogError, context: Context) -> None:
    """Say what was wrong; the keyboard of the step stays as it was."""
    await say(update, _error(user.language, error, context))


async def not_text(update: Update, context: Context) -> None:
    user = context.user
    await say(update, t(user.language, "catalog.error_not_text"))


async def not_photo(update: Update, context: Context) -> None:
    user = context.user
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
    flow = Flow(
        FLOW,
        entry_points=[
            CallbackQueryHandler(start_add, pattern=AddService.pattern()),
            CallbackQueryHandler(start_edit, pattern=EditService.pattern()),
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
        allow_reentry=True,
    )
    add_flow(app, flow)
    app.add_handler(CommandHandler("services", services_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=CatalogButton.pattern()))
