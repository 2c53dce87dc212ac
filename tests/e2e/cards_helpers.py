"""What the card stories share: a shop's program (made directly, as /card would save it), the
card picture's QR, and the persistence file as saved."""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import zxingcpp
from PIL import Image

from bot.config import Config
from bot.models import CardProgram, Shop, Tier
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage


async def make_program(
    shop: Shop,
    *,
    stored_value: bool = False,
    points_off: int = 0,
    need_name: bool = False,
    need_phone: bool = False,
    need_birthday: bool = False,
) -> CardProgram:
    """Silver (entry, 1 point per ¥1) and Gold (from ¥500 spent, 2 points per ¥1, 5% off)."""
    program = await CardProgram.create(
        shop=shop,
        stored_value=stored_value,
        points_per_currency_unit_off=points_off,
        need_name=need_name,
        need_phone=need_phone,
        need_birthday=need_birthday,
    )
    await Tier.create(program=program, rank=0, name="Silver", colour="#9CA3AF", points_per_unit=1)
    await Tier.create(
        program=program,
        rank=1,
        name="Gold",
        colour="#D4AF37",
        points_per_unit=2,
        discount_percent=5,
        threshold_spend_cents=50_000,
    )
    return program


def qr_of(message: BotMessage) -> str:
    """The one QR code on a card picture."""
    assert message.photo is not None, message
    found = zxingcpp.read_barcodes(
        Image.open(io.BytesIO(message.photo)), formats=zxingcpp.BarcodeFormat.QRCode
    )
    assert len(found) == 1, found
    return found[0].text


def token_of(tg: FakeTelegram, message: BotMessage) -> str:
    """The card token in a card picture's QR (`https://t.me/<bot>?start=card_<token>`)."""
    link = qr_of(message)
    prefix = f"https://t.me/{tg.bot_username}?start=card_"
    assert link.startswith(prefix), link
    return link.removeprefix(prefix)


def persisted(config: Config) -> tuple[bytes, Any]:
    """The persistence file, raw and unpickled (the bot must have stopped or flushed)."""
    raw = Path(config.persistence_file).read_bytes()
    return raw, pickle.loads(raw)
