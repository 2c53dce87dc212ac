"""The card QR shown in chat: a signed, short-lived token naming the card, so a screenshot or a
forwarded photo stops working after a few minutes (config `cards.qr_minutes`); the typed member
number still works for earning. The token fits a `/start card_<token>` deep link (27 URL-safe
characters): card id (4 bytes), expiry in Unix seconds (4 bytes) and the first 12 bytes of an
HMAC-SHA256 over both. The key is random, made once and kept in the database (BotSecret
"card_qr"), never logged or shown; so tokens survive restarts and a new database means new keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from datetime import UTC, datetime, timedelta

from bot.models import BotSecret, MemberCard
from bot.services.card_common import CardError, settings

SECRET_NAME = "card_qr"
MAC_BYTES = 12
_LAYOUT = struct.Struct(">II")  # card id, expiry (Unix seconds)
TOKEN_LENGTH = 27  # base64url of 20 bytes, no padding


async def _key() -> bytes:
    """The signing key, made on first use (an INSERT that a concurrent maker may win)."""
    row = await BotSecret.get_or_none(name=SECRET_NAME)
    if row is None:
        await BotSecret.bulk_create(
            [BotSecret(name=SECRET_NAME, value=secrets.token_hex(32))], ignore_conflicts=True
        )
        row = await BotSecret.get(name=SECRET_NAME)
    return bytes.fromhex(row.value)


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()[:MAC_BYTES]


async def issue(card: MemberCard | int, now: datetime, *, minutes: int | None = None) -> str:
    """A token for the card, valid `minutes` (default: config `cards.qr_minutes`)."""
    card_id = card if isinstance(card, int) else card.id
    valid = timedelta(minutes=settings().qr_minutes if minutes is None else minutes)
    body = _LAYOUT.pack(card_id, int((now + valid).timestamp()))
    raw = body + _mac(await _key(), body)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def verify(token: str, now: datetime) -> int:
    """The card id the token names; CardError bad_qr (not ours, altered) or expired_qr."""
    if len(token) != TOKEN_LENGTH:
        raise CardError("bad_qr")
    try:
        raw = base64.urlsafe_b64decode(token + "=")
    except (binascii.Error, ValueError):
        raise CardError("bad_qr") from None
    body, mac = raw[: _LAYOUT.size], raw[_LAYOUT.size :]
    if len(mac) != MAC_BYTES or not hmac.compare_digest(mac, _mac(await _key(), body)):
        raise CardError("bad_qr")
    card_id, until = _LAYOUT.unpack(body)
    if now.timestamp() >= until:
        raise CardError("expired_qr")
    return card_id


def expires_at(token: str) -> datetime | None:
    """When a well-formed token stops working (for "valid until …" under the QR)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=")
        return datetime.fromtimestamp(_LAYOUT.unpack(raw[: _LAYOUT.size])[1], UTC)
    except (binascii.Error, ValueError, struct.error):
        return None
