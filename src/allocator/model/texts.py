"""Text that looks the same is the same: Unicode normalisation of ids, headers and text cells.

Two ids can look identical and still differ: ``"Å-1"`` typed on one machine is one
character Å (U+00C5), pasted from another it is A followed by a combining ring (U+0041
U+030A); a zero-width space (U+200B) or a soft hyphen copied from a web page or a PDF
is invisible. allocator **normalises** every id, column header, text cell (title,
applicant, category, tags, any other text column) and policy file by :func:`clean_text`:

1. Unicode normalisation form **NFC** (composed characters: Å is always U+00C5);
2. **invisible format characters** (Unicode category Cf: zero-width space, zero-width
   joiner and non-joiner, word joiner, byte-order mark, left-to-right and right-to-left
   marks, soft hyphen) are removed;
3. every other kind of **space** (no-break, narrow, thin, ideographic ...; categories Zs,
   Zl and Zp) becomes a plain space; leading and trailing whitespace is removed.

Two ids that become equal are then the same id, and a table holding both is refused as
having a duplicate id (the message says that the two cells differ only invisibly).
Letters that merely look alike (Latin A and Cyrillic А) stay different.

Examples
--------
>>> clean_text("A\\u030a-1") == clean_text("\\u00c5-1") == "\\u00c5-1"
True
>>> clean_text(" A-1\\u200b\\u00a0"), clean_text("VT\\u00a0078")
('A-1', 'VT 078')
>>> invisible_difference("A-1\\u200b", "A-1")
'U+200B ZERO WIDTH SPACE'
"""

from __future__ import annotations

import unicodedata

__all__ = ["clean_text", "invisible_difference"]

_SPACES = frozenset({"Zs", "Zl", "Zp"})


def clean_text(text: str, *, strip: bool = True) -> str:
    """``text`` in NFC, without format characters, with plain spaces, stripped (see the module).

    ``strip=False`` keeps leading and trailing whitespace (for whole documents: a policy file).
    """
    if text.isascii():
        return text.strip() if strip else text
    out = []
    for ch in text:
        kind = unicodedata.category(ch)
        if kind == "Cf":
            continue
        out.append(" " if kind in _SPACES else ch)
    out_text = unicodedata.normalize("NFC", "".join(out))  # NFC last: a removed joiner may have split a letter
    return out_text.strip() if strip else out_text


def _name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED')}"


def invisible_difference(a: str, b: str) -> str:
    """What tells two texts with the same :func:`clean_text` apart, in words (for messages)."""
    found: list[str] = []
    for text in (a, b):
        for ch in text:
            kind = unicodedata.category(ch)
            if kind == "Mn":
                what = f"a letter written in two parts (with {_name(ch)})"
            elif kind == "Cf" or (kind in _SPACES and ch != " "):
                what = _name(ch)
            else:
                continue
            if what not in found:
                found.append(what)
    if not found and unicodedata.normalize("NFC", a) == unicodedata.normalize("NFC", b) and a != b:
        found.append("composed and decomposed forms of the same letter")
    if not found and (a.strip() != a or b.strip() != b):
        found.append("spaces around the text")
    return ", ".join(found) if found else "letter case or spacing"
