"""Membership card faces as pictures, for every screen that shows one (the owner's /card
previews; the customer's cards and the counter can use it too): the shop's first photo fetched
from Telegram once per process, the face drawn in a worker thread."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from telegram import Bot
from telegram.error import TelegramError

from bot.i18n import t
from bot.models import ShopPhoto
from bot.render.card import CardFace, render_card

log = logging.getLogger(__name__)

#: Shop photos kept in memory (file id -> bytes); a card face is drawn for every preview step.
PHOTO_CACHE_MAX = 64
_photos: OrderedDict[str, bytes | None] = OrderedDict()
#: Shown on previews, where no card exists yet.
SAMPLE_NUMBER = "8800 0000 0000 0"


async def shop_photo(bot: Bot, shop_id: int) -> bytes | None:
    """The shop's first photo as bytes, or None (no photo, or Telegram would not give it)."""
    photo = await ShopPhoto.filter(shop_id=shop_id).order_by("position", "id").first()
    if photo is None:
        return None
    if photo.file_id in _photos:
        _photos.move_to_end(photo.file_id)
        return _photos[photo.file_id]
    try:
        data: bytes | None = bytes(
            await (await bot.get_file(photo.file_id)).download_as_bytearray()
        )
    except TelegramError as error:
        log.warning("shop %s photo not fetched for a card face: %s", shop_id, error)
        data = None
    _photos[photo.file_id] = data
    while len(_photos) > PHOTO_CACHE_MAX:
        _photos.popitem(last=False)
    return data


def card_labels(lang: str) -> dict[str, str]:
    return {"number": t(lang, "cardprog.face_number"), "tier": t(lang, "cardprog.face_tier")}


async def card_png(
    bot: Bot,
    *,
    shop_id: int,
    shop_name: str,
    tier_name: str,
    colour: str,
    member_number: str,
    qr_payload: str | None,
    lang: str,
) -> bytes:
    """A card face as PNG bytes, drawn off the event loop."""
    face = CardFace(
        shop_name=shop_name,
        shop_photo=await shop_photo(bot, shop_id),
        tier_name=tier_name,
        colour=colour,
        member_number=member_number,
        qr_payload=qr_payload,
        labels=card_labels(lang),
    )
    return await asyncio.to_thread(render_card, face)
