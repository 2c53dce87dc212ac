"""Whether typed text would show anything at all. A shop, service, coupon or person named only
with zero-width spaces, direction marks or variation selectors looks blank on every screen (and
is a classic way to impersonate or hide), so name and title steps treat it as empty."""

from __future__ import annotations

import unicodedata

#: Spaces, line/paragraph separators, controls and format characters (zero-width space and
#: joiners, bidi embeddings/overrides/isolates, word joiner, BOM, tags...), and marks that
#: only decorate a preceding character (combining accents, variation selectors).
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me"})
#: Letters and symbols drawn as nothing: Hangul fillers and the blank Braille pattern.
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_blank(text: str) -> bool:
    """True when `text` has no character that would be seen (empty text included)."""
    return all(
        ch in _BLANK_GLYPHS or unicodedata.category(ch) in _INVISIBLE_CATEGORIES for ch in text
    )
