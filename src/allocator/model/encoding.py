"""Which encoding a text file is in: byte-order marks, UTF-8, and Windows-1252 when it reads right.

:func:`decode` turns the bytes of a CSV, JSON, TOML, Pabulib or ledger file into text by
these rules, in order:

1. An **encoding given** by the caller (``encoding="mac_roman"``) is used, strictly.
2. A **byte-order mark** chooses UTF-32 (``00 00 FE FF`` / ``FF FE 00 00``), UTF-16
   (``FE FF`` / ``FF FE``) or UTF-8 (``EF BB BF``); the rest must decode cleanly in it.
3. **NUL bytes** without a byte-order mark are refused: the file is UTF-16 or UTF-32
   without a mark, or not text at all.
4. **UTF-8**, if the bytes decode cleanly.
5. Only for tables (CSV files and the ledger, which older Excel versions save in the
   Windows code page): **Windows-1252**, if every byte is defined there *and* the text
   reads as a Norwegian table can: every character outside ASCII is a letter of
   Latin-1 (``À``-``ÿ``, which holds ``æ ø å Æ Ø Å é ü ö ä``) or one of the signs
   ``€ £ § ° « » – — ‘ ’ ‚ “ ” „ … • ² ³ ½ µ ´ · ± ©`` or a no-break space, and none of
   those signs but the apostrophes (``’ ´``), the middle dot and ``² ³`` stands between
   two letters. This refuses what a Mac Roman file looks like when read as Windows-1252:
   its ``æ ø å Æ Ø Å`` become ``¾ ¿ Œ ® ¯`` and an undefined byte, its ``é ä ö ü`` become
   ``Ž Š š Ÿ``, and its ``ó ñ ë`` become dashes and quotes inside words.

Anything else is refused with an :class:`~allocator.exceptions.InputError` that names the
file, the line, the byte or character and the fix (save the file as UTF-8, or pass the
encoding). A Windows-1252 file that the rule refuses although it is right (a name with
``Š``, say) is read with ``encoding="cp1252"``.

Examples
--------
>>> decode("Søknadsnr;Beløp\\n".encode("utf-16"), "a.csv")
'Søknadsnr;Beløp\\n'
>>> decode("Søknadsnr;Beløp\\n".encode("cp1252"), "a.csv")
'Søknadsnr;Beløp\\n'
>>> decode("Søknadsnr;Beløp\\n".encode("mac_roman"), "a.csv")
Traceback (most recent call last):
...
allocator.exceptions.InputError: a.csv is not UTF-8 (byte 0xBF at line 1, column 2), and as Windows-1252 it reads 'S¿knadsnr' at line 1 ('¿' is not a character a Norwegian table holds); as Mac Roman it would read 'Søknadsnr': save the file as UTF-8 (in Excel: CSV UTF-8), or give its encoding (encoding='mac_roman')
"""

from __future__ import annotations

import codecs
import re

from allocator.exceptions import InputError

__all__ = ["BOMS", "decode"]

BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
)
"""Byte-order marks, longest first: (mark, codec, name)."""

_SIGNS = frozenset("\u00a0€£§°«»–—‘’‚“”„…•²³½µ´·±©")
_BETWEEN_LETTERS_OK = frozenset("’´·²³")
_FIX = "save the file as UTF-8 (in Excel: CSV UTF-8)"
_FIX_TEXT = "save the file as UTF-8"


def _where(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _byte_where(raw: bytes, index: int) -> str:
    line = raw.count(b"\n", 0, index) + 1
    column = index - (raw.rfind(b"\n", 0, index) + 1) + 1
    return f"line {line}, column {column}"


def _word(text: str, index: int) -> tuple[int, int]:
    """The span of the word (non-space run) around ``text[index]``."""
    a = index
    while a > 0 and not text[a - 1].isspace() and text[a - 1] not in ',;\t"':
        a -= 1
    b = index + 1
    while b < len(text) and not text[b].isspace() and text[b] not in ',;\t"':
        b += 1
    return a, b


def _unusual(text: str) -> int | None:
    """Index of the first character a Norwegian table would not hold (see the module), or None."""
    for k, ch in enumerate(text):
        if ch.isascii():
            continue
        if "\u00c0" <= ch <= "\u00ff" and ch not in "×÷":
            continue
        if ch not in _SIGNS:
            return k
        if ch not in _BETWEEN_LETTERS_OK and 0 < k < len(text) - 1 and text[k - 1].isalpha() and text[k + 1].isalpha():
            return k
    return None


def decode(raw: bytes, name: str, *, encoding: str | None = None, legacy: bool = True) -> str:
    """The text of a file's bytes, by the rules of the module.

    Parameters
    ----------
    raw
        The file's bytes.
    name
        The file's name, for messages.
    encoding
        The encoding to use (strictly) instead of detecting it.
    legacy
        Try Windows-1252 when the bytes are not UTF-8 (tables); False for formats that
        are UTF-8 by definition (JSON, TOML, Pabulib).

    Raises
    ------
    InputError
        The bytes do not decode cleanly, or read as garbage; the message says where and
        what to do.
    """
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise InputError(
                f"{name}: unknown encoding {encoding!r}; give one such as 'utf-8', 'cp1252' or 'mac_roman'",
                value=encoding,
            ) from None
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name} is not {encoding} text: byte 0x{raw[exc.start]:02X} at {_byte_where(raw, exc.start)} "
                f"({exc.reason}); give the file's real encoding, or {_FIX}",
                value=encoding,
            ) from None
        return text.removeprefix("\ufeff")
    fix = _FIX if legacy else _FIX_TEXT
    for mark, codec, label in BOMS:
        if raw.startswith(mark):
            body = raw[len(mark) :]
            try:
                return body.decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{name} starts with a {label} byte-order mark but is not valid {label}: byte {exc.start + len(mark)} "
                    f"({exc.reason}); {fix}",
                    value=label,
                ) from None
    nul = raw.find(b"\x00")
    if nul >= 0:
        utf16 = re.search(rb"[\x20-\x7e]\x00[\x20-\x7e]\x00", raw[:4096])
        kind = (
            "it looks like UTF-16 or UTF-32 text without a byte-order mark"
            if utf16
            else "it does not look like a text file"
        )
        raise InputError(
            f"{name} holds NUL bytes (the first at {_byte_where(raw, nul)}): {kind}; {fix}",
            value="NUL",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start
    not_utf8 = f"{name} is not UTF-8 (byte 0x{raw[bad]:02X} at {_byte_where(raw, bad)})"
    if not legacy:
        raise InputError(f"{not_utf8}; {_FIX_TEXT}", value=f"0x{raw[bad]:02X}")
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        mac = raw.decode("mac_roman")
        a, b = _word(mac, exc.start)
        raise InputError(
            f"{not_utf8}, nor Windows-1252 (byte 0x{raw[exc.start]:02X} at {_byte_where(raw, exc.start)} is undefined "
            f"there; as Mac Roman it would read {mac[a:b]!r}): {_FIX}, or give its encoding (encoding='mac_roman')",
            value=f"0x{raw[exc.start]:02X}",
        ) from None
    k = _unusual(text)
    if k is None:
        return text
    a, b = _word(text, k)
    line, _ = _where(text, k)
    mac = raw[a:b].decode("mac_roman")
    maybe = f"; as Mac Roman it would read {mac!r}" if _unusual(mac) is None and mac != text[a:b] else ""
    raise InputError(
        f"{not_utf8}, and as Windows-1252 it reads {text[a:b]!r} at line {line} ({text[k]!r} is not a character a "
        f"Norwegian table holds){maybe}: {_FIX}, or give its encoding (encoding='{'mac_roman' if maybe else 'cp1252'}')",
        value=text[a:b],
    )
