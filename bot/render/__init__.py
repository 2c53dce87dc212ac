"""Pictures the bot draws (QR codes, printable posters, membership card faces): plain data in,
PNG bytes out, no Telegram and no database, so they are easy to test and to run in a worker
thread."""

from bot.render.card import CardFace, render_card
from bot.render.qr import Poster, poster_png, qr_png, renders

__all__ = ["CardFace", "Poster", "poster_png", "qr_png", "render_card", "renders"]
