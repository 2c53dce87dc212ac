"""/newshop registers a shop step by step; /myshop edits one field at a time through the very
same steps.

One persistent conversation serves both. Its draft (`draft(context, FLOW)`) holds a `mode`:
`new` walks every step in order and ends on a preview; `fix` changes one field from the
preview and returns to it; `edit` changes one field of a saved shop and saves it at once.
Each step validates its input and re-asks, changing nothing, until the answer is usable.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from itertools import pairwise
from typing import Any, get_args

from telegram import (
    InlineKeyboardMarkup,
    PhotoSize,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import clock
from bot.config import Config
from bot.formatting import format_hours, h
from bot.i18n import t
from bot.models import Shop, ShopStatus, User
from bot.services import shops, users
from bot.services.geocoding import (
    CoordinatesOutOfRange,
    GeocoderUnavailable,
    local_address,
    parse_coordinates,
)
from bot.services.hours import HoursSyntaxError, WeeklyHours, parse_hours
from bot.services.phones import InvalidPhone, example_phone, format_phone, normalize_phone
from bot.services.shops import ShopDraft, ShopError
from bot.services.staff import NotAllowed, Permission, require, require_any, shop_if_allowed
from bot.ui.base import Context, Deps, answer, deps, expired, refuse, refusing, say
from bot.ui.buttons.catalog import ServiceList
from bot.ui.buttons.newshop import (
    EditMyShop,
    FixField,
    NewShopButton,
    PickMyShop,
    PreviewChoice,
    ShopCategory,
    ShopField,
    ViewMyShop,
)
from bot.ui.buttons.poster import PosterButton
from bot.ui.callbacks import CallbackData
from bot.ui.commands import publish_merchant_commands
from bot.ui.flow import (
    CANCEL_LABEL,
    END,
    PLAIN_TEXT,
    SKIP_LABEL,
    Flow,
    add_flow,
    busy,
    busy_press,
    cancel,
    draft,
    flow_fallbacks,
    new_draft,
    show_menu,
)
from bot.ui.keyboards import (
    CONSUMER_MENU,
    MERCHANT_MENU,
    any_label_pattern,
    category_buttons,
    choice_keyboard,
    contact_keyboard,
    inline,
    location_keyboard,
    menu_pattern,
)
from bot.ui.text import fit_html
from bot.views import operator
from bot.views.shop import card_for, card_from_draft, page_buttons, send_shop_page

FLOW = "newshop"
FIELDS: tuple[ShopField, ...] = get_args(ShopField)
#: Conversation states (strings: persisted, so a new step never shifts the others).
STATE_OF = {field: f"{FLOW}.{field}" for field in FIELDS}
NAME, CATEGORY, LOCATION, ADDRESS, PHONE, HOURS, DESCRIPTION, PHOTOS = STATE_OF.values()
PREVIEW = f"{FLOW}.preview"
#: The step after each one while registering; after the photos comes the preview.
NEXT = dict(pairwise(FIELDS))
#: Fields whose current value a step shows when it is changed later.
SHOWN_CURRENT = ("name", "address", "phone", "hours", "description")

MENU_LABELS = filters.Regex(any_label_pattern([*CONSUMER_MENU, *MERCHANT_MENU, "menu.help"]))
#: Only new messages answer a step (edits are answered before any flow, see handlers.common).
NEW = filters.UpdateType.MESSAGE
TEXT = NEW & PLAIN_TEXT & ~MENU_LABELS
ANYTHING_ELSE = NEW & ~filters.COMMAND & ~CANCEL_LABEL & ~MENU_LABELS
DONE_LABEL = filters.Regex(any_label_pattern(["newshop.photos_done"]))
REMOVE_PHOTOS_LABEL = filters.Regex(any_label_pattern(["newshop.remove_photos"]))
REMOVE_DESCRIPTION_LABEL = filters.Regex(any_label_pattern(["newshop.remove_description"]))

Step = Callable[[Update, Context], Awaitable[str | None]]


# --- draft ------------------------------------------------------------------------------


def values(context: Context) -> dict[str, Any]:
    """The page fields collected so far (in `edit` mode: only the changed ones)."""
    return draft(context, FLOW).setdefault("shop", {})


def shop_draft(collected: dict[str, Any], config: Config) -> ShopDraft:
    return ShopDraft(
        name=collected.get("name", ""),
        category=collected.get("category", ""),
        lat=float(collected.get("lat", 0.0)),
        lng=float(collected.get("lng", 0.0)),
        address=collected.get("address", ""),
        phone=collected.get("phone", ""),
        hours=dict(collected.get("hours", {})),
        description=collected.get("description", ""),
        photos=list(collected.get("photos", [])),
        timezone=config.timezone,
    )


def is_complete(collected: dict[str, Any]) -> bool:
    required = ("name", "category", "lat", "lng", "address", "phone", "hours")
    return all(collected.get(key) not in (None, "", {}) for key in required)


async def current_values(context: Context, user: User) -> dict[str, Any] | None:
    """What a step changes now: the saved shop (`edit`), the draft (`fix`), nothing (`new`)."""
    d = draft(context, FLOW)
    if d.get("mode") == "fix":
        return values(context)
    if d.get("mode") != "edit":
        return None
    shop = await shop_if_allowed(user.id, d.get("shop_id", 0), Permission.EDIT_SHOP)
    if shop is None:
        return None
    return {
        "name": shop.name,
        "address": shop.address,
        "phone": shop.phone,
        "hours": shop.hours,
        "description": shop.description,
        "photos": await shops.photos_of(shop.id),
    }


def shown_value(field: str, value: Any, lang: str) -> str:
    if field == "phone":
        return format_phone(value)
    if field == "hours":
        return "\n".join(format_hours(WeeklyHours.from_json(value), lang))
    return str(value)


def fit_address(text: str, limit: int) -> str:
    """A geocoder's (often long) address cut at a comma so it fits the address field."""
    if len(text) <= limit:
        return text
    kept = ""
    for part in text.split(","):
        candidate = f"{kept},{part}" if kept else part
        if len(candidate.strip()) > limit:
            break
        kept = candidate
    return kept.strip() or text[:limit].strip()


def geocoder_language(lang: str) -> str:
    return "zh" if lang.startswith("zh") else "en"


# --- asking -----------------------------------------------------------------------------


async def ask(update: Update, context: Context, user: User, field: str, note: str = "") -> str:
    """Send the step's question (after an optional note) and wait in its state."""
    lang = user.language
    current = await current_values(context, user)
    text, markup = prompt(field, lang, deps(context).config, draft(context, FLOW), current)
    if current and field in SHOWN_CURRENT and current.get(field):
        shown = h(shown_value(field, current[field], lang))
        text += "\n\n" + t(lang, "newshop.current", value=shown)
    if field == "photos":
        values(context)["photos"] = []
    await say(update, f"{note}\n\n{text}" if note else text, reply_markup=markup)
    return STATE_OF[field]


def prompt(
    field: str, lang: str, config: Config, d: dict[str, Any], current: dict[str, Any] | None
) -> tuple[str, InlineKeyboardMarkup | ReplyKeyboardMarkup]:
    """The question and keyboard of one step."""
    editing = d.get("mode") == "edit"
    limits = config.shops
    if field == "name":
        return t(lang, "newshop.ask_name", max=limits.name_max), choice_keyboard(lang, [])
    if field == "category":
        keyboard = category_buttons(lang, config.categories, lambda i: ShopCategory(index=i))
        return t(lang, "newshop.ask_category"), keyboard
    if field == "location":
        return t(lang, "newshop.ask_location"), location_keyboard(lang)
    if field == "address":
        options = [d.get("suggest") or ""]
        if current and "lat" in d.get("shop", {}):  # a moved pin may keep the old address
            options.append(current.get("address") or "")
        options = list(dict.fromkeys(o for o in options if o))
        key = "newshop.ask_address_suggested" if options else "newshop.ask_address"
        return t(lang, key, max=limits.address_max), choice_keyboard(lang, options)
    if field == "phone":
        example = example_phone(config.phone_region)
        return t(lang, "newshop.ask_phone", example=example), contact_keyboard(lang)
    if field == "hours":
        example = t(lang, "newshop.hours_example")
        return t(lang, "newshop.ask_hours", example=example), choice_keyboard(lang, [])
    if field == "description":
        text = t(lang, "newshop.ask_description", max=limits.description_max)
        if not editing:
            return text, choice_keyboard(lang, [], skip=True)
        remove = (
            [t(lang, "newshop.remove_description")] if current and current["description"] else []
        )
        return text, choice_keyboard(lang, remove)
    if field == "photos":
        if not editing:
            text = t(lang, "newshop.ask_photos", count=limits.max_photos)
            return text, choice_keyboard(lang, [], skip=True)
        count = len(current["photos"]) if current else 0
        text = t(lang, "newshop.ask_new_photos", max=limits.max_photos, count=count)
        remove = [t(lang, "newshop.remove_photos")] if count else []
        return text, choice_keyboard(lang, remove)
    raise ValueError(f"unknown field {field!r}")


def reask(key: str) -> Step:
    """A handler for input of the wrong kind: explain what the step needs, stay in it."""

    async def handler(update: Update, context: Context) -> str | None:
        await say(update, t(context.user.language, key))
        return None

    return handler


# --- moving on --------------------------------------------------------------------------


async def accept(
    update: Update,
    context: Context,
    user: User,
    field: str,
    changes: dict[str, Any],
    note: str = "",
) -> str:
    """A valid answer: keep it, then go where the mode leads."""
    d = draft(context, FLOW)
    values(context).update(changes)
    if field == "location":  # the address follows the pin, in every mode
        return await ask(update, context, user, "address", note)
    if field == "address":
        d.pop("suggest", None)
    if d.get("mode") == "edit":
        return await save_edit(update, context, user, note)
    if d.get("mode") == "fix" or field == "photos":
        return await show_preview(update, context, user, note)
    return await ask(update, context, user, NEXT[field], note)


async def show_preview(update: Update, context: Context, user: User, note: str = "") -> str:
    """The page exactly as customers will see it, then Publish / Change / Cancel under it."""
    lang = user.language
    config = deps(context).config
    chat = update.effective_chat
    assert chat is not None
    card = card_from_draft(shop_draft(values(context), config))
    await send_shop_page(chat, card, lang, config, clock.now())
    question = t(lang, "newshop.preview_question")
    sent = await say(
        update, f"{note}\n\n{question}" if note else question, reply_markup=preview_buttons(lang)
    )
    d = draft(context, FLOW)
    d.update(mode="new", preview_msg=sent.message_id)
    d.pop("before", None)
    return PREVIEW


def preview_buttons(lang: str) -> InlineKeyboardMarkup:
    return inline(
        [
            [(t(lang, "newshop.publish"), PreviewChoice(choice="ok"))],
            [(t(lang, "newshop.change"), PreviewChoice(choice="fix"))],
            [(t(lang, "newshop.cancel"), PreviewChoice(choice="cancel"))],
        ]
    )


def fix_buttons(lang: str) -> InlineKeyboardMarkup:
    fields: list[tuple[str, CallbackData]] = [
        (t(lang, f"myshop.field_{f}"), FixField(field=f)) for f in FIELDS
    ]
    rows = [fields[i : i + 2] for i in range(0, len(fields), 2)]
    rows.append([(t(lang, "newshop.start_over"), PreviewChoice(choice="restart"))])
    rows.append([(t(lang, "common.back"), PreviewChoice(choice="back"))])
    return inline(rows)


async def preview_press(update: Update, context: Context) -> str | int | None:
    """A button under the latest preview; older previews have expired."""
    user = context.user
    lang = user.language
    query = update.callback_query
    assert query is not None
    d = draft(context, FLOW)
    if query.message is None or query.message.message_id != d.get("preview_msg"):
        await expired(update, lang)
        return None
    match NewShopButton.pressed(update):
        case PreviewChoice(choice="ok"):
            return await publish(update, context, user)
        case PreviewChoice(choice="fix" | "back" as choice):
            await answer(update)
            markup = fix_buttons(lang) if choice == "fix" else preview_buttons(lang)
            await query.edit_message_reply_markup(markup)
            return None
        case PreviewChoice(choice="cancel"):
            await query.edit_message_reply_markup(None)
            return await cancel(update, context)
        case PreviewChoice(choice="restart"):
            await answer(update)
            await query.edit_message_reply_markup(None)
            new_draft(context, FLOW, mode="new", shop={})
            return await ask(update, context, user, "name")
        case FixField(field=field):
            await answer(update)
            await query.edit_message_reply_markup(None)
            d.update(mode="fix", before=copy.deepcopy(values(context)))
            return await ask(update, context, user, field)
    await expired(update, lang)  # a category button of this flow, pressed at its preview
    return None


async def cancel_step(update: Update, context: Context) -> str | int:
    """/cancel: while changing a field from the preview, drop just that change and show the
    preview again; anywhere else, leave the flow (nothing is saved)."""
    d = draft(context, FLOW)
    if d.get("mode") != "fix" or "before" not in d:
        return await cancel(update, context)
    user = context.user
    d["shop"] = d.pop("before")
    return await show_preview(update, context, user, note=t(user.language, "myshop.unchanged"))


async def publish(update: Update, context: Context, user: User) -> int | None:
    """Create the shop, give its owner the merchant menu and commands, tell the operators."""
    lang = user.language
    config = deps(context).config
    query = update.callback_query
    assert query is not None
    collected = values(context)
    if not is_complete(collected):
        await expired(update, lang)
        return None
    await answer(update)
    await query.edit_message_reply_markup(None)
    shop = await shops.create_shop(
        user.id, shop_draft(collected, config), require_approval=config.shops.require_approval
    )
    if not user.role_chosen:  # /newshop before any /start: a customer too, like everybody
        await users.set_roles(user, consumer=True, merchant=True)
    pending = shop.status == ShopStatus.PENDING
    key = "newshop.created_pending" if pending else "newshop.created_live"
    await show_menu(update, user, t(lang, key, name=h(shop.name)))
    chat = update.effective_chat
    assert chat is not None
    await publish_merchant_commands(
        context.bot, chat.id, operator=operator.is_operator(config, user.id)
    )
    if pending:
        await operator.notify_operators(context.bot, config, shop)
    return END


async def save_edit(update: Update, context: Context, user: User, note: str = "") -> int:
    """`edit` mode: store the changed field(s) on the shop and show its menu again. A live
    shop's new name, category or location waits for an operator (config shops.review_edits):
    the merchant is told, the operators get it to approve."""
    lang = user.language
    config = deps(context).config
    d = draft(context, FLOW)
    changes = dict(values(context))
    shop = await shop_if_allowed(user.id, d.get("shop_id", 0), Permission.EDIT_SHOP)
    if shop is None:
        await show_menu(update, user, t(lang, "common.not_allowed"))
        return END
    photos = changes.pop("photos", None)
    if photos is not None:
        await shops.set_photos(shop, photos)
    held = None
    if changes:
        held = (await shops.edit_shop(shop, changes, review=config.review_shop_edits)).held
    if held is not None:
        done = t(lang, "guards.change_waiting", fields=operator.change_labels(held, lang))
        await operator.notify_operators_of_change(context.bot, config, shop, held)
    else:
        done = t(lang, "myshop.saved" if changes or photos is not None else "myshop.unchanged")
    await show_menu(update, user, f"{done}\n\n{note}" if note else done)
    await send_shop_menu(update, shop, lang)
    return END


# --- the steps --------------------------------------------------------------------------


async def start_new(update: Update, context: Context) -> str:
    user = context.user
    new_draft(context, FLOW, mode="new", shop={})
    return await ask(update, context, user, "name", note=t(user.language, "newshop.intro"))


async def got_name(update: Update, context: Context) -> str:
    user = context.user
    limit = deps(context).config.shops.name_max
    try:
        name = shops.clean_text(_text(update), limit)
    except ShopError as err:
        await say(update, t(user.language, f"newshop.name_{err.reason}", max=limit))
        return NAME
    return await accept(update, context, user, "name", {"name": name})


async def got_category(update: Update, context: Context) -> str | None:
    user = context.user
    categories = deps(context).config.categories
    query = update.callback_query
    assert query is not None
    index = ShopCategory.pressed(update).index
    if index >= len(categories):
        await expired(update, user.language)
        return None
    await answer(update)
    category = categories[index]
    label = t(user.language, f"category.{category}")
    await query.edit_message_text(t(user.language, "newshop.category_chosen", category=label))
    return await accept(update, context, user, "category", {"category": category})


async def category_again(update: Update, context: Context) -> str:
    user = context.user
    note = t(user.language, "newshop.expect_category")
    return await ask(update, context, user, "category", note=note)


async def got_location(update: Update, context: Context) -> str:
    """The location button (a pin) or a venue picked in Telegram's attachment menu."""
    user = context.user
    message = update.message
    assert message is not None and message.location is not None
    lat, lng = message.location.latitude, message.location.longitude
    if message.venue is not None:
        suggestion = message.venue.address or message.venue.title
    else:
        suggestion = await address_at(context, lat, lng, user.language)
    return await located(update, context, user, lat, lng, suggestion)


async def location_text(update: Update, context: Context) -> str:
    """Typed `lat, lng`, else an address looked up with the geocoder."""
    user = context.user
    lang = user.language
    text = _text(update)
    try:
        point = parse_coordinates(text)
    except CoordinatesOutOfRange:
        await say(update, t(lang, "newshop.coordinates_out_of_range"))
        return LOCATION
    if point is not None:
        suggestion = await address_at(context, *point, lang)
        return await located(update, context, user, *point, suggestion)
    if len(text) > deps(context).config.shops.address_max:  # no address is that long
        await say(update, t(lang, "newshop.place_not_found", text=h(text[:40]) + "…"))
        return LOCATION
    geocoder = deps(context).geocoder
    try:
        if geocoder is None:
            raise GeocoderUnavailable("no geocoder configured")
        found = await geocoder.geocode(text, language=geocoder_language(lang))
    except GeocoderUnavailable:
        await say(update, t(lang, "newshop.geocoder_down"), reply_markup=location_keyboard(lang))
        return LOCATION
    if found is None:
        await say(update, t(lang, "newshop.place_not_found", text=h(text)))
        return LOCATION
    address = local_address(found, lang)
    note = t(lang, "newshop.place_found", address=h(address))
    return await located(update, context, user, found.lat, found.lng, address, note)


async def address_at(context: Context, lat: float, lng: float, lang: str) -> str:
    """The address at a point to offer as a suggestion, written the way the merchant's
    language writes addresses; '' when the geocoder can't say."""
    geocoder = deps(context).geocoder
    if geocoder is None:
        return ""
    try:
        found = await geocoder.reverse(lat, lng, language=geocoder_language(lang))
    except (GeocoderUnavailable, CoordinatesOutOfRange):
        return ""
    return local_address(found, lang) if found is not None else ""


async def located(
    update: Update,
    context: Context,
    user: User,
    lat: float,
    lng: float,
    suggestion: str,
    note: str = "",
) -> str:
    limit = deps(context).config.shops.address_max
    draft(context, FLOW)["suggest"] = fit_address(suggestion.strip(), limit)
    return await accept(update, context, user, "location", {"lat": lat, "lng": lng}, note)


async def got_address(update: Update, context: Context) -> str:
    user = context.user
    limit = deps(context).config.shops.address_max
    try:
        address = shops.clean_text(_text(update), limit)
    except ShopError as err:
        await say(update, t(user.language, f"newshop.address_{err.reason}", max=limit))
        return ADDRESS
    return await accept(update, context, user, "address", {"address": address})


async def got_phone_text(update: Update, context: Context) -> str:
    return await take_phone(update, context, _text(update), shared=False)


async def got_contact(update: Update, context: Context) -> str:
    """Telegram's contact button: the number always carries its country code."""
    assert update.message is not None and update.message.contact is not None
    return await take_phone(update, context, update.message.contact.phone_number, shared=True)


async def take_phone(update: Update, context: Context, raw: str, *, shared: bool) -> str:
    user = context.user
    region = deps(context).config.phone_region
    try:
        phone = normalize_phone(raw, region, international=shared)
    except InvalidPhone as err:
        key = "newshop.phone_letters" if err.reason == "letters" else "newshop.phone_invalid"
        await say(update, t(user.language, key, example=example_phone(region)))
        return PHONE
    return await accept(update, context, user, "phone", {"phone": phone})


async def got_hours(update: Update, context: Context) -> str:
    user = context.user
    lang = user.language
    try:
        hours = parse_hours(_text(update))
    except HoursSyntaxError as err:
        await say(update, hours_problem(err, lang))
        return HOURS
    note = t(lang, "newshop.hours_understood", hours="\n".join(format_hours(hours, lang)))
    return await accept(update, context, user, "hours", {"hours": hours.to_json()}, note)


def hours_problem(err: HoursSyntaxError, lang: str) -> str:
    """Why the hours were refused, quoting the troublesome part, with a good example."""
    reason = "missing_time" if err.reason == "bad_time" and not err.fragment else err.reason
    example = t(lang, "newshop.hours_example")
    return t(lang, f"newshop.hours_{reason}", fragment=h(err.fragment), example=example)


async def got_description(update: Update, context: Context) -> str:
    user = context.user
    limit = deps(context).config.shops.description_max
    try:
        text = shops.clean_text(_text(update), limit, multiline=True)
    except ShopError as err:
        await say(update, t(user.language, f"newshop.description_{err.reason}", max=limit))
        return DESCRIPTION
    return await accept(update, context, user, "description", {"description": text})


async def no_description(update: Update, context: Context) -> str:
    user = context.user
    return await accept(update, context, user, "description", {"description": ""})


async def got_photo(update: Update, context: Context) -> str:
    user = context.user
    lang = user.language
    limit = deps(context).config.shops.max_photos
    assert update.message is not None
    photos: list[str] = values(context).setdefault("photos", [])
    if len(photos) >= limit:
        await say(update, t(lang, "newshop.photos_full", count=limit))
        return PHOTOS
    photos.append(largest(update.message.photo).file_id)
    key = "newshop.photo_added_last" if len(photos) == limit else "newshop.photo_added"
    done = choice_keyboard(lang, [t(lang, "newshop.photos_done")])
    await say(update, t(lang, key, count=len(photos), max=limit), reply_markup=done)
    return PHOTOS


def largest(sizes: tuple[PhotoSize, ...]) -> PhotoSize:
    return max(sizes, key=lambda size: (size.width * size.height, size.file_size or 0))


async def photos_done(update: Update, context: Context) -> str:
    """Done (or Skip). Editing a saved shop, no new photo means: keep the old ones."""
    user = context.user
    if draft(context, FLOW).get("mode") == "edit" and not values(context).get("photos"):
        values(context).pop("photos", None)
    return await accept(update, context, user, "photos", {})


async def remove_photos(update: Update, context: Context) -> str:
    user = context.user
    return await accept(update, context, user, "photos", {"photos": []})


def _text(update: Update) -> str:
    assert update.message is not None and update.message.text is not None
    return update.message.text


# --- /myshop ----------------------------------------------------------------------------


async def shop_menu(shop: Shop, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    """The owner's view of a shop: its summary and status, a button per field, hand-overs."""
    text = "\n".join(
        [
            operator.shop_summary(await card_for(shop), lang),
            "",
            t(lang, "myshop.status", status=operator.status_label(shop.status, lang)),
            *await _waiting_line(shop, lang),
            "",
            t(lang, "myshop.what_to_change"),
        ]
    )
    fields: list[tuple[str, CallbackData]] = [
        (t(lang, f"myshop.field_{f}"), EditMyShop(shop_id=shop.id, field=f)) for f in FIELDS
    ]
    rows = [fields[i : i + 2] for i in range(0, len(fields), 2)]
    rows.append([(t(lang, "myshop.view_page"), ViewMyShop(shop_id=shop.id))])
    rows.append(
        [
            (t(lang, "myshop.services"), ServiceList(shop_id=shop.id)),
            (t(lang, "myshop.poster"), PosterButton(shop_id=shop.id)),
        ]
    )
    return fit_html(text), inline(rows)


async def _waiting_line(shop: Shop, lang: str) -> list[str]:
    """The change still waiting for an operator, if any."""
    change = await shops.pending_change(shop.id)
    if change is None:
        return []
    return [t(lang, "guards.myshop_waiting", fields=operator.change_labels(change, lang))]


async def send_shop_menu(update: Update, shop: Shop, lang: str) -> None:
    text, markup = await shop_menu(shop, lang)
    await say(update, text, reply_markup=markup)


async def my_shop(update: Update, context: Context) -> None:
    """/myshop: the menu of the user's shop, or a choice when they manage several."""
    user = context.user
    lang = user.language
    try:
        managed = await require_any(user.id, Permission.EDIT_SHOP)
    except NotAllowed as error:
        await refuse(update, lang, error)
        return
    if len(managed) == 1:
        await send_shop_menu(update, managed[0], lang)
        return
    rows = [
        [(f"{shop.name} · {operator.status_label(shop.status, lang)}", PickMyShop(shop_id=shop.id))]
        for shop in managed
    ]
    await say(update, t(lang, "myshop.pick"), reply_markup=inline(rows))


@refusing
async def pick_press(update: Update, context: Context) -> None:
    """One of several shops picked: its menu, only for a shop the presser manages."""
    lang = context.user.language
    query = update.callback_query
    assert query is not None
    pressed = PickMyShop.pressed(update)
    shop = await require(context.user.id, pressed.shop_id, Permission.EDIT_SHOP)
    await answer(update)
    text, markup = await shop_menu(shop, lang)
    await query.edit_message_text(text, reply_markup=markup)


@refusing
async def view_press(update: Update, context: Context) -> None:
    """The shop's page with the buttons customers get (the reviews, where the owner answers
    them), for a shop the presser manages."""
    lang = context.user.language
    pressed = ViewMyShop.pressed(update)
    shop = await require(context.user.id, pressed.shop_id, Permission.EDIT_SHOP)
    await answer(update)
    chat = update.effective_chat
    assert chat is not None
    buttons = await page_buttons(shop, context.user, deps(context).shop_page_buttons)
    await send_shop_page(
        chat, await card_for(shop), lang, deps(context).config, clock.now(), reply_markup=buttons
    )


@refusing
async def start_edit(update: Update, context: Context) -> str | int:
    """Change one field of a saved shop through its registration step."""
    user = context.user
    pressed = EditMyShop.pressed(update)
    shop = await require(user.id, pressed.shop_id, Permission.EDIT_SHOP)
    await answer(update)
    new_draft(context, FLOW, mode="edit", shop_id=shop.id, shop={})
    return await ask(update, context, user, pressed.field)


# --- wiring -----------------------------------------------------------------------------


def states() -> dict[object, list[BaseHandler[Any, Any, Any]]]:
    return {
        NAME: [MessageHandler(TEXT, got_name), _other("newshop.expect_name")],
        CATEGORY: [
            CallbackQueryHandler(got_category, pattern=ShopCategory.pattern()),
            MessageHandler(ANYTHING_ELSE, category_again),
        ],
        LOCATION: [
            MessageHandler(NEW & filters.LOCATION, got_location),
            MessageHandler(TEXT, location_text),
            _other("newshop.expect_location"),
        ],
        ADDRESS: [MessageHandler(TEXT, got_address), _other("newshop.expect_address")],
        PHONE: [
            MessageHandler(NEW & filters.CONTACT, got_contact),
            MessageHandler(TEXT, got_phone_text),
            _other("newshop.expect_phone"),
        ],
        HOURS: [MessageHandler(TEXT, got_hours), _other("newshop.expect_hours")],
        DESCRIPTION: [
            MessageHandler(NEW & (SKIP_LABEL | REMOVE_DESCRIPTION_LABEL), no_description),
            MessageHandler(TEXT, got_description),
            _other("newshop.expect_description"),
        ],
        PHOTOS: [
            MessageHandler(NEW & filters.PHOTO, got_photo),
            MessageHandler(NEW & (DONE_LABEL | SKIP_LABEL), photos_done),
            MessageHandler(NEW & REMOVE_PHOTOS_LABEL, remove_photos),
            _other("newshop.expect_photo"),
        ],
        PREVIEW: [
            CallbackQueryHandler(preview_press, pattern=NewShopButton.pattern()),
            _other("newshop.expect_preview"),
        ],
    }


def _other(key: str) -> MessageHandler[Any, Any]:
    return MessageHandler(ANYTHING_ELSE, reask(key))


def register(app: Application[Any, Any, Any, Any, Any, Any], deps: Deps) -> None:
    add_flow(
        app,
        Flow(
            FLOW,
            entry_points=[
                CommandHandler("newshop", start_new),
                MessageHandler(filters.Regex(menu_pattern("menu.newshop")), start_new),
                CallbackQueryHandler(start_edit, pattern=EditMyShop.pattern()),
            ],
            states=states(),
            fallbacks=[
                CommandHandler("cancel", cancel_step),
                MessageHandler(CANCEL_LABEL, cancel_step),
                *flow_fallbacks(),
                MessageHandler(MENU_LABELS, busy),
                CallbackQueryHandler(busy_press, pattern=EditMyShop.pattern()),
            ],
        ),
    )
    app.add_handler(CommandHandler("myshop", my_shop))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.myshop")), my_shop))
    app.add_handler(CallbackQueryHandler(pick_press, pattern=PickMyShop.pattern()))
    app.add_handler(CallbackQueryHandler(view_press, pattern=ViewMyShop.pattern()))
