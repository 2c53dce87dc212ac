"""Run the bot: `python -m bot` (long polling; SQLite by default)."""

from __future__ import annotations

import logging
import sys

from bot.app import build_application
from bot.config import load_config
from bot.i18n import t

#: What the bot asks Telegram for: edited messages too, so an edit is answered, not ignored.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]


def configure_logging() -> None:
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    # httpx logs request URLs, and Bot API URLs contain the token: never let them through.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def main() -> int:
    configure_logging()
    config = load_config()
    if not config.token:
        print(t("en", "main.no_token"), file=sys.stderr)
        return 2
    app = build_application(config)
    app.run_polling(allowed_updates=ALLOWED_UPDATES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
