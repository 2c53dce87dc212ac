"""Composition root: read config, build the Application, register handlers, start the database
in post_init and stop it in post_shutdown. Nothing else wires things together."""

from __future__ import annotations

import importlib
import logging
from functools import partial
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
    PersistenceInput,
    PicklePersistence,
    TypeHandler,
)

import scheduler
from bot import i18n
from bot.config import Config
from bot.db import start_db, stop_db
from bot.flows import promo
from bot.handlers import common, errors, spend, wallet
from bot.sender import PriorityRateLimiter, notify, start_sender, stop_sender
from bot.services import card_common, care, greetings
from bot.services.geocoding import Geocoder
from bot.ui.base import LOAD_USER_GROUP, BotContext, Deps, load_user
from bot.ui.commands import publish_default_commands, publish_operator_menus
from bot.updates import update_processor
from bot.views import care as care_views
from bot.views.greeting_message import greeting_rows

log = logging.getLogger(__name__)


def build_application(config: Config) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot, unmodified in tests: only the config (URLs, database) differs."""
    Path(config.persistence_file).parent.mkdir(parents=True, exist_ok=True)
    i18n.configure(config.languages, config.fallback_language)
    card_common.configure(config.cards)  # QR and approval lifetimes, password lock and cost
    greetings.configure(config.greetings)
    # Conversations and drafts survive a restart; bot_data holds live objects, never pickled.
    persistence = PicklePersistence(
        config.persistence_file,
        store_data=PersistenceInput(bot_data=False, callback_data=False),
        update_interval=5,
    )
    app = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.api_base_url)
        .base_file_url(config.api_file_url)
        .persistence(persistence)
        # Every text is HTML: user content goes through bot.formatting.h.
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        # One context per update, carrying the sender's row (loaded once, see load_user).
        .context_types(ContextTypes(context=BotContext))
        # One budget for replies and broadcasts; replies go first (see bot.sender).
        .rate_limiter(PriorityRateLimiter.from_settings(config.broadcast))
        # Chats side by side, each chat's updates in order (see bot.updates).
        .concurrent_updates(update_processor(config.updates))
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.bot_data["deps"] = Deps(config=config)
    # Welcomes are queued inside the services' transactions: their settings and buttons.
    care.install(config.care, care_views.welcome_buttons)
    _register(app)
    _register_timed_work(app)
    # A handler that raises still answers the person (apology, button answered) and logs safely.
    app.add_error_handler(errors.on_error)
    return app


def _register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    deps: Deps = app.bot_data["deps"]
    app.add_handler(TypeHandler(Update, load_user), group=LOAD_USER_GROUP)
    common.register(app)
    for module in _feature_modules():
        module.register(app, deps)
    common.register_last(app)


def _register_timed_work(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Every timed job (scheduler/), with the bot layer's side of them."""
    if app.job_queue is None:
        log.warning("no job queue (python-telegram-bot[job-queue]): no timed work")
        return
    views = scheduler.Views(
        wake_sender=notify,
        reminder_payload=wallet.reminder_payload,
        announce_flash_end=partial(promo.announce_end, app.bot),
        spend_lapsed=partial(spend.close_lapsed, app),
        greeting_buttons=greeting_rows,
        survey_payload=care_views.survey_payload,
    )
    scheduler.register(app.job_queue, views)


#: Feature modules, each exposing `register(app, deps)`; order = handler priority in group 0.
FEATURES = (
    "bot.flows.profile",
    "bot.flows.settings",
    "bot.flows.newshop",
    "bot.handlers.operator",
    "bot.flows.catalog",
    "bot.handlers.poster",
    "bot.flows.coupons",
    "bot.flows.card_program",
    "bot.handlers.counter",
    "bot.handlers.redeem",
    "bot.handlers.spend",
    "bot.handlers.wallet",
    "bot.flows.card_join",
    "bot.flows.card_pin",
    "bot.handlers.cards",
    "bot.handlers.follows",
    "bot.flows.promo",
    "bot.handlers.results",
    "bot.handlers.staff",
    "bot.flows.greetings",
    "bot.handlers.greetings",
    "bot.flows.review",
    "bot.flows.care",
    "bot.handlers.shop_page",
    "bot.handlers.nearby",
)


def _feature_modules() -> list[Any]:
    return [importlib.import_module(name) for name in FEATURES]


async def _post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    deps: Deps = app.bot_data["deps"]
    await start_db(deps.config.database_url)
    geo = deps.config.geocoder
    deps.geocoder = Geocoder(
        geo.provider,
        domain=geo.domain,
        scheme=geo.scheme,
        user_agent=geo.user_agent,
        timeout=geo.timeout,
    )
    deps.bot_username = app.bot.username
    await publish_default_commands(app.bot)
    await publish_operator_menus(app.bot, deps.config.operators)
    await start_sender(app)
    log.info("bot @%s started", app.bot.username)


async def _post_stop(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # The outbox worker stops while the bot can still talk to Telegram: sends under way finish.
    await stop_sender(app)


async def _post_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    deps: Deps = app.bot_data["deps"]
    await stop_sender(app)  # normally done in post_stop already
    if deps.geocoder is not None:
        await deps.geocoder.aclose()
    await stop_db()
