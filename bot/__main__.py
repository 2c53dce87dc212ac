"""Run the bot: `python -m bot` (long polling; SQLite by default). `python -m bot check-ledger`
verifies the membership-card ledger of the configured database instead (bot/check_ledger.py).

Start-up failures a deployer can fix end the process with one clear line and a non-zero exit
code: no token (2), a token Telegram rejects (2), a database that cannot be opened (3)."""

from __future__ import annotations

import logging
import sys

from telegram.error import InvalidToken

from bot import check_ledger
from bot.app import build_application
from bot.config import load_config
from bot.db import DatabaseUnavailable
from bot.i18n import t
from bot.logging_setup import configure_logging, database_password, keep_secret

log = logging.getLogger("bot")

#: What the bot asks Telegram for: edited messages too, so an edit is answered, not ignored.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    configure_logging()
    config = load_config()
    if args[:1] == ["check-ledger"]:
        keep_secret(database_password(config.database_url))
        return check_ledger.run(config)
    keep_secret(config.token, database_password(config.database_url))
    if not config.token:
        print(t("en", "main.no_token"), file=sys.stderr)
        return 2
    app = build_application(config)
    try:
        app.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken:
        log.error(t("en", "main.token_rejected"))
        return 2
    except DatabaseUnavailable as exc:
        log.error(t("en", "main.database_unavailable", where=exc.where, reason=exc.reason))
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
