"""The command menu Telegram shows (setMyCommands): per language, and per chat for people who
own or staff a shop, so merchant commands appear only where they work."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import BadRequest

from bot.i18n import LANGUAGES, t
from bot.services.users import is_staff

log = logging.getLogger(__name__)

CONSUMER_COMMANDS = (
    "start",
    "nearby",
    "search",
    "wallet",
    "following",
    "profile",
    "settings",
    "help",
    "cancel",
)
MERCHANT_COMMANDS = (
    "myshop",
    "newshop",
    "services",
    "poster",
    "newcoupon",
    "coupons",
    "redeem",
    "promo",
    "flash",
    "results",
)
OPERATOR_COMMANDS = ("pending",)


def commands(lang: str, names: tuple[str, ...]) -> list[BotCommand]:
    return [BotCommand(name, t(lang, f"cmd.{name}")) for name in names]


def _lang_code(lang: str) -> str | None:
    return "zh" if lang == "zh_Hans" else None  # English is the language-less default list


async def publish_default_commands(bot: Bot) -> None:
    """Everyone's menu, in each language (newshop is open to anyone who wants to register)."""
    for lang in LANGUAGES:
        await bot.set_my_commands(
            commands(lang, (*CONSUMER_COMMANDS, "newshop")),
            scope=BotCommandScopeDefault(),
            language_code=_lang_code(lang),
        )


async def publish_merchant_commands(bot: Bot, chat_id: int, *, operator: bool = False) -> None:
    """Merchant commands in this chat only, in every language."""
    await publish_chat_commands(bot, chat_id, merchant=True, operator=operator)


async def publish_operator_menus(bot: Bot, operators: frozenset[int]) -> None:
    """At start-up: operators see /pending (and merchant commands if they run a shop too).
    An operator who never opened the bot has no chat yet; Telegram refuses, which is fine."""
    for chat_id in operators:
        merchant = await is_staff(chat_id)
        try:
            await publish_chat_commands(bot, chat_id, merchant=merchant, operator=True)
        except BadRequest as exc:
            log.info("operator %s has no chat with the bot yet: %s", chat_id, exc.message)


async def publish_chat_commands(bot: Bot, chat_id: int, *, merchant: bool, operator: bool) -> None:
    names = (
        *CONSUMER_COMMANDS,
        *(MERCHANT_COMMANDS if merchant else ("newshop",)),
        *(OPERATOR_COMMANDS if operator else ()),
    )
    for lang in LANGUAGES:
        await bot.set_my_commands(
            commands(lang, names),
            scope=BotCommandScopeChat(chat_id),
            language_code=_lang_code(lang),
        )
