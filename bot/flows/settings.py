"""/settings: language, saved places (home, work) and the default search radius."""

from __future__ import annotations

from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.formatting import format_distance
from bot.i18n import offered, t
from bot.models import User
from bot.services import greetings, users
from bot.ui.base import Context, Deps, answer, deps, expired, say
from bot.ui.buttons.settings import (
    ChooseLanguage,
    ChooseQuietHours,
    ChooseRadius,
    DeletePlace,
    SetPlace,
    SettingsButton,
    SettingsSection,
)
from bot.ui.callbacks import CallbackData
from bot.ui.flow import (
    CANCEL_LABEL,
    END,
    Flow,
    add_flow,
    draft,
    flow_fallbacks,
    new_draft,
    show_menu,
)
from bot.ui.keyboards import inline, location_keyboard, menu_pattern
from bot.views.greetings import all_greetings_button

FLOW = "settings_place"
PLACE = "settings_place.location"


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


async def _menu_buttons(user: User) -> list[list[tuple[str, CallbackData]]]:
    lang = user.language
    receives = None not in await greetings.opted_out_of(user.id)
    return [
        [(t(lang, "settings.language_button"), SettingsSection(section="lang"))],
        [(t(lang, "settings.places_button"), SettingsSection(section="places"))],
        [(t(lang, "settings.radius_button"), SettingsSection(section="radius"))],
        [(t(lang, "settings.quiet_button"), SettingsSection(section="quiet"))],
        [all_greetings_button(lang, receives=receives)],  # pressed: bot/handlers/greetings.py
    ]


async def show_settings(update: Update, context: Context) -> None:
    user = context.user
    await say(
        update, await _menu_text(user, context), reply_markup=inline(await _menu_buttons(user))
    )


async def on_button(update: Update, context: Context) -> None:
    """Every settings button except 'set a place' (which starts a short flow); a choice we
    do not offer (forged, or from an older configuration) changes nothing."""
    user = context.user
    lang = user.language
    query = update.callback_query
    assert query is not None
    config = deps(context).config
    radii = [round(km * 1000) for km in config.search.radii_km]
    match SettingsButton.pressed(update):
        case SettingsSection(section="lang"):
            await answer(update)
            choices = offered().languages
            buttons = [
                [(t(code, f"language.{code}"), ChooseLanguage(code=code))] for code in choices
            ]
            await query.edit_message_text(
                t(lang, "settings.choose_language"), reply_markup=inline(buttons)
            )
        case ChooseLanguage(code=code) if code in offered().languages:
            await users.set_language(user, code)
            await answer(update)
            await query.edit_message_reply_markup(None)
            await show_menu(update, user, t(user.language, "settings.language_set"))
        case SettingsSection(section="radius"):
            await answer(update)
            buttons = [[(format_distance(r, lang), ChooseRadius(metres=r)) for r in radii]]
            await query.edit_message_text(
                t(lang, "settings.choose_radius"), reply_markup=inline(buttons)
            )
        case ChooseRadius(metres=metres) if metres in radii:
            await users.set_default_radius(user, metres)
            await answer(update)
            await query.edit_message_text(
                t(lang, "settings.radius_set", radius=format_distance(metres, lang))
            )
        case SettingsSection(section="quiet"):
            await answer(update)
            buttons = [
                [(_quiet_label(lang, start, end), ChooseQuietHours(start=start, end=end))]
                for start, end in users.QUIET_CHOICES
            ]
            await query.edit_message_text(
                t(lang, "settings.choose_quiet"), reply_markup=inline(buttons)
            )
        case ChooseQuietHours(start=start, end=end) if (start, end) in users.QUIET_CHOICES:
            await users.set_quiet_hours(user, start, end)
            await answer(update)
            await query.edit_message_text(
                t(lang, "settings.quiet_set", quiet=_quiet_label(lang, start, end))
            )
        case SettingsSection(section="places"):
            await answer(update)
            await query.edit_message_text(
                t(lang, "settings.places"), reply_markup=inline(await _place_buttons(user))
            )
        case DeletePlace(label=label) if label in users.PLACE_LABELS:
            if await users.delete_place(user.id, label):
                await answer(update)
                await query.edit_message_text(
                    t(lang, "settings.place_deleted", place=_place_name(lang, label))
                )
            else:
                await expired(update, lang)
        case _:
            await expired(update, lang)


async def _place_buttons(user: User) -> list[list[tuple[str, CallbackData]]]:
    lang = user.language
    saved = {p.label for p in await users.places_of(user.id)}
    rows: list[list[tuple[str, CallbackData]]] = []
    for label in users.PLACE_LABELS:
        name = _place_name(lang, label)
        row: list[tuple[str, CallbackData]] = [
            (t(lang, "settings.set_place", place=name), SetPlace(label=label))
        ]
        if label in saved:
            row.append((t(lang, "settings.delete_place", place=name), DeletePlace(label=label)))
        rows.append(row)
    return rows


async def ask_place(update: Update, context: Context) -> str | int:
    user = context.user
    label = SetPlace.pressed(update).label
    if label not in users.PLACE_LABELS:
        await expired(update, user.language)
        return END
    await answer(update)
    new_draft(context, FLOW, place=label)
    place = _place_name(user.language, label)
    await say(
        update,
        t(user.language, "settings.ask_place", place=place),
        reply_markup=location_keyboard(user.language),
    )
    return PLACE


async def got_place(update: Update, context: Context) -> str | int:
    user = context.user
    assert update.message is not None and update.message.location is not None
    label = draft(context, FLOW).get("place", "home")
    loc = update.message.location
    try:
        await users.save_place(user.id, label, loc.latitude, loc.longitude)
    except users.InvalidProfileValue:
        await say(update, t(user.language, "settings.bad_location"))
        return PLACE
    await say(update, "✅", reply_markup=ReplyKeyboardRemove())
    place = _place_name(user.language, label)
    await show_menu(update, user, t(user.language, "settings.place_saved", place=place))
    return END


async def not_location(update: Update, context: Context) -> str:
    await say(update, t(context.user.language, "settings.expected_location"))
    return PLACE


def register(app: Application[Any, Any, Any, Any, Any, Any], deps: Deps) -> None:
    app.add_handler(CommandHandler("settings", show_settings))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.settings")), show_settings))
    add_flow(
        app,
        Flow(
            FLOW,
            entry_points=[CallbackQueryHandler(ask_place, pattern=SetPlace.pattern())],
            states={
                PLACE: [
                    MessageHandler(filters.LOCATION, got_place),
                    MessageHandler(~filters.COMMAND & ~CANCEL_LABEL, not_location),
                ]
            },
            fallbacks=flow_fallbacks(),
        ),
    )
    app.add_handler(CallbackQueryHandler(on_button, pattern=SettingsButton.pattern()))
