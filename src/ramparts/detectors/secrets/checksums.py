"""Checksums built into some credential formats: a match that fails them is a typo or a fake."""

from __future__ import annotations

import zlib

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GENERATORS = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _base62(number: int, width: int) -> str:
    digits = ""
    while number:
        number, remainder = divmod(number, 62)
        digits = _BASE62[remainder] + digits
    return digits.rjust(width, "0")


def github_token_checksum_ok(token: str) -> bool:
    """GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_) end with base62(CRC32(body)) in 6 characters."""
    body = token.split("_", 1)[-1]
    if len(body) < 36:
        return False
    return _base62(zlib.crc32(body[:-6].encode("ascii")), 6) == body[-6:]


def bech32_ok(value: str) -> bool:
    """Bech32 checksum (BIP-173), used by age secret keys (AGE-SECRET-KEY-1...)."""
    lowered = value.lower()
    separator = lowered.rfind("1")
    if separator < 1 or separator + 7 > len(lowered):
        return False
    hrp, data = lowered[:separator], lowered[separator + 1 :]
    if any(c not in _BECH32 for c in data):
        return False
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    values += [_BECH32.index(c) for c in data]
    checksum = 1
    for value_ in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value_
        for bit, generator in enumerate(_BECH32_GENERATORS):
            if (top >> bit) & 1:
                checksum ^= generator
    return checksum in (1, 0x2BC830A3)  # bech32 or bech32m
