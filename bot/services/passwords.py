"""The consumption password: six digits that approve spending points or stored value. Stored
only as a salted scrypt hash (cost from config `cards.scrypt_*`, kept in the hash so a changed
cost still verifies old ones). Five wrong in a row lock spending on the card for 15 minutes
(config `cards.lock_attempts` / `lock_minutes`); the counter and the lock move by conditional
UPDATEs, so concurrent attempts cannot slip past the limit. The PIN itself is never logged,
stored or returned.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from bot.models import MemberCard, PasswordReset, ResetStatus
from bot.services import staff
from bot.services.card_common import CardError, settings
from bot.services.numbers import ascii_digits
from bot.services.staff import Permission

PIN_LENGTH = 6
SALT_BYTES = 16
HASH_BYTES = 32


def normalize_pin(pin: str) -> str | None:
    """Six ASCII digits from what was typed (full-width digits and spaces accepted)."""
    digits = "".join(ascii_digits(pin).split())
    return digits if len(digits) == PIN_LENGTH and digits.isascii() and digits.isdigit() else None


def hash_password(pin: str) -> str:
    """`scrypt$n$r$p$salt$hash` of the normalized PIN (CardError bad_pin if not six digits)."""
    digits = normalize_pin(pin)
    if digits is None:
        raise CardError("bad_pin")
    cfg = settings()
    salt = secrets.token_bytes(SALT_BYTES)
    derived = _derive(digits, salt, cfg.scrypt_n, cfg.scrypt_r, cfg.scrypt_p)
    cost = f"{cfg.scrypt_n}${cfg.scrypt_r}${cfg.scrypt_p}"
    return f"scrypt${cost}${_b64(salt)}${_b64(derived)}"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def verify_password(pin: str, stored: str) -> bool:
    digits = normalize_pin(pin)
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
    except ValueError:
        return False
    if digits is None or scheme != "scrypt":
        return False
    derived = _derive(digits, base64.b64decode(salt), int(n), int(r), int(p))
    return hmac.compare_digest(derived, base64.b64decode(expected))


def _derive(digits: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        digits.encode(),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=2 * 128 * n * r * p + 2**20,
        dklen=HASH_BYTES,
    )


# ------------------------------------------------------------------------------ on a card


async def has_password(card_id: int) -> bool:
    return await MemberCard.exists(id=card_id, password_hash__isnull=False)


async def set_password(card_id: int, pin: str) -> None:
    """Set the card's password (first time, or after an approved reset); clears the count of
    wrong attempts. Refuses if one is set already (change_password asks for the old one)."""
    hashed = await asyncio.to_thread(hash_password, pin)
    changed = await MemberCard.filter(id=card_id, password_hash__isnull=True).update(
        password_hash=hashed, failed_attempts=0, locked_until=None
    )
    if changed != 1:
        if not await MemberCard.exists(id=card_id):
            raise CardError("not_found")
        raise CardError("password_set")


async def change_password(card_id: int, old: str, new: str, *, now: datetime) -> None:
    """Replace the password, proving the old one (wrong ones count towards the lock)."""
    hashed = await asyncio.to_thread(hash_password, new)
    await check_password(card_id, old, now=now)
    await MemberCard.filter(id=card_id).update(password_hash=hashed)


async def replace_password(card_id: int, new: str) -> None:
    """The new password of a card whose holder proved the current one (check_password) in an
    earlier step of the same chat: a chat flow never keeps a PIN between messages, so it cannot
    hand the old one to change_password. CardError no_password if the card has none."""
    hashed = hash_password(new)
    changed = await MemberCard.filter(id=card_id, password_hash__isnull=False).update(
        password_hash=hashed, failed_attempts=0
    )
    if changed != 1:
        raise CardError("no_password")


async def check_password(card_id: int, pin: str, *, now: datetime) -> None:
    """Pass, or CardError: no_password, locked (until), wrong_password (left: attempts before
    the lock). A right password resets the count."""
    card = await MemberCard.get_or_none(id=card_id)
    if card is None:
        raise CardError("not_found")
    if card.password_hash is None:
        raise CardError("no_password")
    if card.locked_until is not None and card.locked_until > now:
        raise CardError("locked", until=card.locked_until)
    # scrypt is slow on purpose: off the event loop, so other chats are not kept waiting.
    if await asyncio.to_thread(verify_password, pin, card.password_hash):
        await MemberCard.filter(id=card_id).update(failed_attempts=0)
        return
    cfg = settings()
    not_locked = Q(locked_until__isnull=True) | Q(locked_until__lte=now)
    counted = await MemberCard.filter(not_locked, id=card_id).update(
        failed_attempts=F("failed_attempts") + 1
    )
    until = now + timedelta(minutes=cfg.lock_minutes)
    locked = await MemberCard.filter(
        not_locked, id=card_id, failed_attempts__gte=cfg.lock_attempts
    ).update(locked_until=until, failed_attempts=0)
    if locked or not counted:
        card = await MemberCard.get(id=card_id)
        raise CardError("locked", until=card.locked_until or until)
    card = await MemberCard.get(id=card_id)
    raise CardError("wrong_password", left=max(0, cfg.lock_attempts - card.failed_attempts))


# ------------------------------------------------------------------------------ resets


async def request_reset(card_id: int, *, now: datetime) -> PasswordReset:
    """The holder forgot the password: a request the shop's owner approves or refuses (one
    pending at a time; asking again returns it)."""
    pending = await PasswordReset.get_or_none(card_id=card_id, status=ResetStatus.PENDING)
    if pending is not None:
        return pending
    if not await MemberCard.exists(id=card_id):
        raise CardError("not_found")
    return await PasswordReset.create(card_id=card_id, created_at=now)


async def approve_reset(reset_id: int, owner_id: int) -> PasswordReset:
    """Clear the card's password (the holder then sets a new one); owner only."""
    return await _decide(reset_id, owner_id, ResetStatus.APPROVED)


async def refuse_reset(reset_id: int, owner_id: int) -> PasswordReset:
    return await _decide(reset_id, owner_id, ResetStatus.REFUSED)


async def _decide(reset_id: int, owner_id: int, status: ResetStatus) -> PasswordReset:
    reset = await PasswordReset.get_or_none(id=reset_id).select_related("card")
    if reset is None:
        raise CardError("not_found")
    await staff.require(owner_id, reset.card.shop_id, Permission.RESET_PASSWORD)
    async with in_transaction():
        changed = await PasswordReset.filter(id=reset_id, status=ResetStatus.PENDING).update(
            status=status, decided_by_id=owner_id
        )
        if changed != 1:
            raise CardError("decided")
        if status == ResetStatus.APPROVED:
            await MemberCard.filter(id=reset.card_id).update(
                password_hash=None, failed_attempts=0, locked_until=None
            )
    await reset.refresh_from_db()
    return reset
