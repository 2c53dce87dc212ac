"""Config: file plus environment, secrets never printed."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.__main__ import configure_logging
from bot.config import load_config


def test_environment_overrides_file(tmp_path: Path) -> None:
    config = load_config(
        env={
            "BOT_TOKEN": "123:SECRET",
            "DATABASE_URL": "postgres://u@h/db",
            "TELEGRAM_API_BASE_URL": "http://localhost:8081/bot",
            "TELEGRAM_API_FILE_URL": "http://localhost:8081/file/bot",
            "BOT_OPERATORS": "5, 6",
        }
    )
    assert config.token == "123:SECRET"
    assert config.database_url == "postgres://u@h/db"
    assert config.api_base_url == "http://localhost:8081/bot"
    assert config.operators == {5, 6}
    assert "SECRET" not in repr(config) and "SECRET" not in str(config)


def test_defaults_from_config_yaml() -> None:
    config = load_config(env={})
    assert config.database_url == "sqlite://data/bot.sqlite3"
    assert config.timezone == "Asia/Shanghai"
    assert len(config.categories) == 8
    assert config.search.radii_km == (2.0, 5.0, 10.0)
    assert config.token == ""


def test_http_client_logging_cannot_leak_the_token() -> None:
    configure_logging()
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)


def test_main_refuses_to_start_without_token(monkeypatch, capsys) -> None:
    from bot.__main__ import main

    monkeypatch.delenv("BOT_TOKEN", raising=False)
    assert main() == 2
    assert "@BotFather" in capsys.readouterr().err
