"""The real `python -m bot` as a child process against the fake servers: started with the
environment a deployer would set, stopped with Ctrl-C, or killed with SIGKILL mid-work and
started again on the same database and persistence file."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """One deployment of the bot: its database and state file outlive each process."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None

    @classmethod
    def for_fake(
        cls, tg: object, tmp_path: Path, *, database_url: str | None = None, **extra: str
    ) -> BotProcess:
        """A bot pointed at the fake Bot API server `tg`, SQLite in `tmp_path` by default."""
        env = {
            **os.environ,
            "BOT_TOKEN": tg.token,  # type: ignore[attr-defined]
            "TELEGRAM_API_BASE_URL": tg.base_url,  # type: ignore[attr-defined]
            "TELEGRAM_API_FILE_URL": tg.base_file_url,  # type: ignore[attr-defined]
            "DATABASE_URL": database_url or f"sqlite://{tmp_path / 'bot.sqlite3'}",
            "PERSISTENCE_FILE": str(tmp_path / "state.pickle"),
            **extra,
        }
        return cls(env, tmp_path / "bot.log")

    async def start(self) -> None:
        assert self.proc is None or self.proc.returncode is not None, "already running"
        log = self.log_path.open("ab")
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=ROOT, env=self.env, stdout=log, stderr=log
            )
        finally:
            log.close()

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when the machine loses power."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    async def stop(self, timeout: float = 30) -> int:  # noqa: ASYNC109
        """Ctrl-C, as a deployer stops it; returns the exit code."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)
            await asyncio.wait_for(self.proc.wait(), timeout)
        return self.proc.returncode or 0

    async def wait(self, timeout: float = 30) -> int:  # noqa: ASYNC109
        """Wait for the process to end on its own; returns the exit code."""
        assert self.proc is not None
        await asyncio.wait_for(self.proc.wait(), timeout)
        return self.proc.returncode or 0

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def close(self) -> None:
        await self.kill()
