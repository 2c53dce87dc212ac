"""A feature module for tests only: a flow asking a PIN twice through bot/ui/secret_input.py
exactly as the card flows do, so the secret's path (chat, conversation state, persistence file)
can be checked on its own."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.ui.base import Context, Deps, say
from bot.ui.flow import END, Flow, add_flow, flow_fallbacks
from bot.ui.secret_input import take_first_pin, take_second_pin

FIRST, AGAIN = "probe.first", "probe.again"


async def start(update: Update, context: Context) -> str:
    await say(update, "PIN?")
    return FIRST


async def first(update: Update, context: Context) -> str:
    if not await take_first_pin(update, context, "probe"):
        await say(update, "not a PIN")
        return FIRST
    await say(update, "again?")
    return AGAIN


async def again(update: Update, context: Context) -> str | int:
    pin, outcome = await take_second_pin(update, context, "probe")
    if outcome == "start_over":
        await say(update, "start over: PIN?")
        return FIRST
    if pin is None:
        await say(update, "mismatch: PIN?")
        return FIRST
    await say(update, "matched")
    return END


def register(app: Application[Any, Any, Any, Any, Any, Any], deps: Deps) -> None:
    secret = filters.ALL & ~filters.COMMAND
    add_flow(
        app,
        Flow(
            "probe",
            entry_points=[CommandHandler("probe", start)],
            states={FIRST: [MessageHandler(secret, first)], AGAIN: [MessageHandler(secret, again)]},
            fallbacks=flow_fallbacks(),
        ),
    )
