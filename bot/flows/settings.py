"""/settings: language, saved places (home, work) and the default search radius."""

from __future__ import annotations

from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.formatting import format_distance
from bot.i18n import offered, t
from bot.models import User
from bot.services import users
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
from bot.ui.flow import CANCEL_LABEL, END, draft, flow_fallbacks, show_menu
from bot.ui.keyboards import inline, location_keyboard, menu_pattern

PLACE = 0


def _place_name(lang: str, label: str) -> str:
    return t(lang, f"settings.place_{label}")


async def _menu_text(user: User, context: Context) -> str:
    lang = user.language
    places = await users.places_of(user.id)
    return t(
        lang,
        "settings.menu",
        language=t(lang, f"language.{lang}"),
        radius=format_distance(user.default_radius_m, lang),
        places=", ".join(_place_name(lang, p.label) for p in places) or t(lang, "settings.none"),
        quiet=_quiet_label(lang, user.quiet_start, user.quiet_end),
    )


def _quiet_label(lang: str, start: int, end: int) -> str:
    if start == end:
        return t(lang, "settings.quiet_off")
    return f"{start // 60:02d}:{start % 60:02d}–{end // 60:02d}:{end % 60:02d}"


def _menu_buttons(lang: str) -> list[list[tuple[str, str]]]:
    return [
        [(t(lang, "settings.language_button"), "set:lang:menu")],
        [(t(lang, "settings.places_button"), "set:places:menu")],
        [(t(lang, "settings.radius_button"), "set:radius:menu")],
        [(t(lang, "settings.quiet_button"), "set:quiet:menu")],
    ]


async def show_settings(update: Update, context: Context) -> None:
    user = await current_user(update)
    await say(
        update, await _menu_text(user, context), reply_markup=inline(_menu_buttons(user.language))
    )


async def on_button(update: Update, context: Context) -> None:
    """Every settings button except 'set a place' (which starts a short flow)."""
    user = await current_user(update)
    lang = user.language
    query = update.callback_query
    assert query is not None
    args = callback_args(query, "set", 2)
    config = deps(context).config
    radii = [round(km * 1000) for km in config.search.radii_km]
    if args is None:
        await expired(update, lang)
        return
    kind, value = args
    if kind == "lang" and value == "menu":
        await answer(update)
        choices = offered().languages
        buttons = [[(t(code, f"language.{code}"), f"set:lang:{code}")] for code in choices]
        await query.edit_message_text(
            t(lang, "settings.choose_language"), reply_markup=inline(buttons)
        )
    elif kind == "lang" and value in offered().languages:
        await users.set_language(user, value)
        await answer(update)
        await query.edit_message_reply_markup(None)
        await show_menu(update, user, t(value, "settings.language_set"))
    elif kind == "radius" and value == "menu":
        await answer(update)
        buttons = [[(format_distance(r, lang), f"set:radius:{r}") for r in radii]]
        await query.edit_message_text(
            t(lang, "settings.choose_radius"), reply_markup=inline(buttons)
        )
    elif kind == "radius" and (radius := int_arg(value)) is not None and radius in radii:
        await users.set_default_radius(user, radius)
        await answer(update)
        await query.edit_message_text(
            t(lang, "settings.radius_set", radius=format_distance(radius, lang))
        )
    elif kind == "quiet" and value == "menu":
        await answer(update)
        buttons = [
            [(_quiet_label(lang, start, end), f"set:quiet:{start}-{end}")]
            for start, end in users.QUIET_CHOICES
        ]
        await query.edit_message_text(
            t(lang, "settings.choose_quiet"), reply_markup=inline(buttons)
        )
    elif kind == "quiet" and (quiet := _quiet_choice(value)) is not None:
        start, end = quiet
        await users.set_quiet_hours(user, start, end)
        await answer(update)
        await query.edit_message_text(
            t(lang, "settings.quiet_set", quiet=_quiet_label(lang, start, end))
        )
    elif kind == "places" and value == "menu":
        await answer(update)
        await query.edit_message_text(
            t(lang, "settings.places"), reply_markup=inline(await _place_buttons(user))
        )
    elif kind == "delplace" and value in users.PLACE_LABELS:
        if await users.delete_place(user.id, value):
            await answer(update)
            await query.edit_message_text(
                t(lang, "settings.place_deleted", place=_place_name(lang, value))
            )
        else:
            await expired(update, lang)
    else:
        await expired(update, lang)


def _quiet_choice(value: str) -> tuple[int, int] | None:
    """A quiet-hours button's window, only if it is one we offer (forged data is refused)."""
    start, _, end = value.partition("-")
    return next((c for c in users.QUIET_CHOICES if (int_arg(start), int_arg(end)) == c), None)


async def _place_buttons(user: User) -> list[list[tuple[str, str]]]:
    lang = user.language
    saved = {p.label for p in await users.places_of(user.id)}
    rows = []
    for label in users.PLACE_LABELS:
        name = _place_name(lang, label)
        row = [(t(lang, "settings.set_place", place=name), f"set:place:{label}")]
        if label in saved:
            row.append((t(lang, "settings.delete_place", place=name), f"set:delplace:{label}"))
        rows.append(row)
    return rows


async def ask_place(update: Update, context: Context) -> int:
    user = await current_user(update)
    query = update.callback_query
    assert query is not None
    args = callback_args(query, "set", 2)
    if args is None or args[1] not in users.PLACE_LABELS:
        await expired(update, user.language)
        return END
    await answer(update)
    draft(context)["place"] = args[1]
    place = _place_name(user.language, args[1])
    await say(
        update,
        t(user.language, "settings.ask_place", place=place),
        reply_markup=location_keyboard(user.language),
    )
    return PLACE


async def got_place(update: Update, context: Context) -> int:
    user = await current_user(update)
    assert update.message is not None and update.message.location is not None
    label = draft(context).get("place", "home")
    loc = update.message.location
    try:
        await users.save_place(user.id, label, loc.latitude, loc.longitude)
    except users.InvalidProfileValue:
        await say(update, t(user.language, "settings.bad_location"))
        return PLACE
    context.user_data.pop("draft", None)  # type: ignore[union-attr]
    await say(update, "✅", reply_markup=ReplyKeyboardRemove())
    place = _place_name(user.language, label)
    await show_menu(update, user, t(user.language, "settings.place_saved", place=place))
    return END


async def not_location(update: Update, context: Context) -> int:
    user = await current_user(update)
    await say(update, t(user.language, "settings.expected_location"))
    return PLACE


def register(app: Application[Any, Any, Any, Any, Any, Any], deps: Deps) -> None:
    app.add_handler(CommandHandler("settings", show_settings))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.settings")), show_settings))
    app.add_handler(
        ConversationHandler(
            name="settings_place",
            persistent=True,
            entry_points=[CallbackQueryHandler(ask_place, pattern=r"^set:place:")],
            states={
                PLACE: [
                    MessageHandler(filters.LOCATION, got_place),
                    MessageHandler(~filters.COMMAND & ~CANCEL_LABEL, not_location),
                ]
            },
            fallbacks=flow_fallbacks(),
        )
    )
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^set:"))
