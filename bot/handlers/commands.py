"""The command menu Telegram shows (setMyCommands): per language, and per chat for people who
own or staff a shop, so merchant commands appear only where they work."""

from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.i18n import LANGUAGES, t

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
    names = (*CONSUMER_COMMANDS, *MERCHANT_COMMANDS, *(OPERATOR_COMMANDS if operator else ()))
    for lang in LANGUAGES:
        await bot.set_my_commands(
            commands(lang, names),
            scope=BotCommandScopeChat(chat_id),
            language_code=_lang_code(lang),
        )
