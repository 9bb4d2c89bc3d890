"""Folding Vietnamese text for search, and the legal spelling of names.

Finding waste codes the way a Vietnamese user types: by code, or by words of the name in any case, with or
without accents, in composed or decomposed Unicode, with the old or the new tone placement (hoá/hóa, thuỷ/thủy).

Each waste code stores `search_text`, its code and names folded by `fold`; a query is folded the same way and
every word must occur. Plain `LIKE` on a folded column gives the same results on SQLite and PostgreSQL without a
database extension (the catalog holds a few hundred codes per version).
"""

import re
import unicodedata

# Vietnamese tone marks as combining characters (NFD): grave, acute, tilde, hook above, dot below.
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_NOT_A_LETTER_AFTER = r"(?![\w\u0300-\u036f])"
# Old style puts the tone on the second vowel of an open "oa", "oe", "uy" (hoá, khoẻ, thuỷ); the legal texts
# put it on the first (hóa, khỏe, thủy). "qu" is a consonant, so quý keeps its tone where it is.
_OLD_TONE_PLACEMENT = re.compile(rf"(?<![qQ])([oO][aAeE]|[uU][yY])([{_TONES}]){_NOT_A_LETTER_AFTER}")


def legal_spelling(text):
    """NFC text with the tone placement of the legal texts: 'Trung hoà' → 'Trung hòa', 'thuỷ' → 'thủy'."""
    decomposed = unicodedata.normalize("NFD", str(text or ""))
    moved = _OLD_TONE_PLACEMENT.sub(lambda m: m.group(1)[0] + m.group(2) + m.group(1)[1], decomposed)
    return unicodedata.normalize("NFC", moved)


def fold(text):
    """Lower case without accents, single spaces: 'Ắc quy', 'ẮC QUY', 'ac quy' → 'ac quy'; 'Dầu' → 'dau'."""
    decomposed = unicodedata.normalize("NFD", str(text or ""))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.replace("đ", "d").replace("Đ", "d").casefold().split())


def search_text(*parts):
    return fold(" ".join(part for part in parts if part))
