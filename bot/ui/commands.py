"""The command menu Telegram shows (setMyCommands): per language, and per chat for people who
own or staff a shop, so each merchant command appears only to people whose role allows it
(a clerk sees /coupons and /redeem; the owner sees them all)."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)
from telegram.error import BadRequest

from bot.i18n import LANGUAGES, offered, t
from bot.services.staff import Permission, granted_anywhere

log = logging.getLogger(__name__)

CONSUMER_COMMANDS = (
    "start",
    "nearby",
    "search",
    "wallet",
    "cards",
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
    "card",
    "redeem",
    "promo",
    "flash",
    "results",
    "feedback",
    "staff",
    "greetings",
)
#: What each merchant command needs (None: anyone may register a shop).
COMMAND_PERMISSIONS: dict[str, Permission | None] = {
    "myshop": Permission.EDIT_SHOP,
    "newshop": None,
    "services": Permission.MANAGE_SERVICES,
    "poster": Permission.POSTER,
    "newcoupon": Permission.CREATE_COUPONS,
    "coupons": Permission.VIEW_COUPONS,
    "card": Permission.DESIGN_CARD,
    "redeem": Permission.REDEEM,
    "promo": Permission.PROMOTE,
    "flash": Permission.PROMOTE,
    "results": Permission.VIEW_RESULTS,
    "feedback": Permission.VIEW_FEEDBACK,
    "staff": Permission.MANAGE_STAFF,
    "greetings": Permission.MANAGE_GREETINGS,
}
OPERATOR_COMMANDS = ("pending",)


def commands(lang: str, names: tuple[str, ...]) -> list[BotCommand]:
    return [BotCommand(name, t(lang, f"cmd.{name}")) for name in names]


def menu_languages() -> list[tuple[str, str | None]]:
    """(catalogue, Telegram language code) per command list: the fallback language is the
    language-less list, then one list per configured two-letter code. Telegram keys command
    lists by ISO 639-1 only, so zh_Hans and zh_Hant share "zh": the first configured wins."""
    choice = offered()
    lists: dict[str | None, str] = {None: choice.fallback}
    for lang in choice.languages:
        lists.setdefault(_code(lang), lang)
    return [(lang, code) for code, lang in lists.items()]


def _code(lang: str) -> str:
    """Telegram's two-letter code of a catalogue: zh_Hant → zh."""
    return lang.split("_")[0].lower()


async def _publish(bot: Bot, names: tuple[str, ...], scope: BotCommandScope) -> None:
    """One list per configured language; lists of languages no longer configured (left on
    Telegram by an earlier deployment) are deleted."""
    lists = menu_languages()
    for lang, code in lists:
        await bot.set_my_commands(commands(lang, names), scope=scope, language_code=code)
    published = {code for _, code in lists}
    for code in sorted({_code(lang) for lang in LANGUAGES} - published):
        await bot.delete_my_commands(scope=scope, language_code=code)


async def publish_default_commands(bot: Bot) -> None:
    """Everyone's menu, in each language (newshop is open to anyone who wants to register)."""
    await _publish(bot, (*CONSUMER_COMMANDS, "newshop"), BotCommandScopeDefault())


def merchant_commands(granted: frozenset[Permission]) -> tuple[str, ...]:
    """The merchant commands these permissions allow, in menu order (always /newshop)."""
    return tuple(
        name
        for name in MERCHANT_COMMANDS
        if COMMAND_PERMISSIONS[name] is None or COMMAND_PERMISSIONS[name] in granted
    )


async def publish_merchant_commands(bot: Bot, chat_id: int, *, operator: bool = False) -> None:
    """This user's menu in their private chat, in every language: the merchant commands their
    roles allow (none after leaving every shop's staff). Call it whenever their roles change."""
    merchant = merchant_commands(await granted_anywhere(chat_id))
    await publish_chat_commands(bot, chat_id, merchant=merchant, operator=operator)


async def publish_operator_menus(bot: Bot, operators: frozenset[int]) -> None:
    """At start-up: operators see /pending (and merchant commands if they run a shop too).
    An operator who never opened the bot has no chat yet; Telegram refuses, which is fine."""
    for chat_id in operators:
        try:
            await publish_merchant_commands(bot, chat_id, operator=True)
        except BadRequest as exc:
            log.info("operator %s has no chat with the bot yet: %s", chat_id, exc.message)


async def publish_chat_commands(
    bot: Bot, chat_id: int, *, merchant: tuple[str, ...], operator: bool
) -> None:
    names = (*CONSUMER_COMMANDS, *merchant, *(OPERATOR_COMMANDS if operator else ()))
    await _publish(bot, names, BotCommandScopeChat(chat_id))
