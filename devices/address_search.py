"""Search the register by address without storing addresses in the clear.

An address is encrypted at rest (core.crypto.EncryptedString). Beside it the register keeps the keyed hashes
(core.crypto.blind_index) of the address's overlapping character pairs, shortened to 12 hex digits and
joined by spaces: `tokens("民族路 1 号")` hashes 民族, 族路, 路1, 1号. A query matches a device whose tokens
include every pair of the query, so "民族路" finds "渝中区解放碑街道民族路 1 号"; the database compares
hashes only, and without the key the hashes say nothing about the address. A one-character query
matches nothing (a pair needs two characters). Spaces do not count.
"""

from __future__ import annotations

from sqlalchemy import and_

from core.crypto import blind_index

PURPOSE = "device-address"
TOKEN_HEX = 12
#: A query is cut to this many pairs (enough to single out an address; each pair is one LIKE).
MAX_QUERY_PAIRS = 12


def _pairs(text: str) -> list[str]:
    compact = "".join((text or "").split()).lower()
    return [compact[i:i + 2] for i in range(len(compact) - 1)]


def _hash(pair: str) -> str:
    return blind_index(pair, purpose=PURPOSE)[:TOKEN_HEX]


def tokens(address: str | None) -> str | None:
    """The stored token text of an address (None for no address)."""
    pairs = _pairs(address or "")
    if not pairs:
        return None
    return " ".join(dict.fromkeys(_hash(p) for p in pairs))


def query_tokens(query: str) -> list[str]:
    """The hashes a query's pairs must all be among (empty: the query is too short to search by)."""
    return list(dict.fromkeys(_hash(p) for p in _pairs(query)))[:MAX_QUERY_PAIRS]


def matches(column, query: str):
    """An SQL condition: the token column holds every pair of `query` (None when the query is too short)."""
    hashes = query_tokens(query)
    if not hashes:
        return None
    return and_(*[(" " + column + " ").contains(f" {h} ") for h in hashes])
