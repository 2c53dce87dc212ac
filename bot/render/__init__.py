"""Pictures the bot draws (QR codes, printable posters): plain data in, PNG bytes out, no
Telegram and no database, so they are easy to test and to run in a worker thread."""

from bot.render.qr import Poster, poster_png, qr_png, renders

__all__ = ["Poster", "poster_png", "qr_png", "renders"]
