"""Token spaces: text the counterpart knows is never keyed like the user's own words.

A collector knows the messages it sent. With a few hundred of them it can match its
texts to entries (by their clear times), learn which token stands for which gram, and
then read those grams in any other entry that shares the key: a lawyer's phone number
in the user's notes, a repayment date (issue 13, measured in docs/search.md). So each
searched field is keyed in one of three spaces, each with its own HKDF-derived key:

- ``received``: what the counterpart wrote or is known by: the content and subject of
  an incoming message, and the counterpart, organisation and address of any incoming
  contact and the text read from its images;
- ``sent``: what the user sent (the recipient has it): the content and subject of an
  outgoing message, who it went to and the text of its images;
- ``own``: what only the user wrote: notes, tags, the location, file names, the
  account of a call or a visit, and whatever else has no direction.

Known plaintext of one space maps tokens of that space only. A query looks each term
up in every space (``index.candidate_seqs``), so search finds the same records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from evidence_locker.search.index import Tokenizer, searchable_fields, tokens_for

RECEIVED, SENT, OWN = "received", "sent", "own"
SPACES = (RECEIVED, SENT, OWN)
_MESSAGE_FIELDS = frozenset(("content", "subject"))
# who the contact was with, and what its images show (a screenshot of their message,
# a photo of their letter or card): known to the counterpart of an incoming contact
_PARTY_FIELDS = frozenset(("counterpart", "organisation", "address", "image_text"))
_ACCOUNTS = frozenset(("call", "visit"))  # their content is the user's own account


def space_of(field: str, channel: str | None, direction: str | None) -> str:
    """The token space of one searched field of an entry (see the module docstring)."""
    if field in _MESSAGE_FIELDS:
        if channel in _ACCOUNTS or direction not in ("incoming", "outgoing"):
            return OWN
        return RECEIVED if direction == "incoming" else SENT
    if field in _PARTY_FIELDS:
        if direction == "incoming":
            return RECEIVED
        return SENT if direction == "outgoing" else OWN
    return OWN


class SpaceTokenizers:
    """One :class:`Tokenizer` per space, each over its own keyed function."""

    def __init__(self, token_fn: Callable[[str, bytes], bytes]):
        self.by_space = {space: Tokenizer(_bound(token_fn, space)) for space in SPACES}

    def __iter__(self) -> Any:
        return iter(self.by_space.values())

    def entry_tokens(
        self,
        values: Mapping[str, Any],
        attachment_names: Iterable[str],
        channel: str | None,
        direction: str | None,
        image_texts: Iterable[str] = (),
    ) -> set[bytes]:
        """All index tokens of one record version, each field in its space."""
        fields = searchable_fields(values, attachment_names, image_texts)
        grouped: dict[str, dict[str, str]] = {}
        for name, text in fields.items():
            grouped.setdefault(space_of(name, channel, direction), {})[name] = text
        out: set[bytes] = set()
        for space, part in grouped.items():
            out |= tokens_for(part, self.by_space[space])
        return out

    def field_tokens(
        self, field: str, text: str, channel: str | None, direction: str | None
    ) -> set[bytes]:
        """The tokens of one field of a version (a file name or a text read from an
        image, added later), in that field's space."""
        return tokens_for({field: text}, self.by_space[space_of(field, channel, direction)])


def _bound(token_fn: Callable[[str, bytes], bytes], space: str) -> Callable[[bytes], bytes]:
    def keyed(data: bytes) -> bytes:
        return token_fn(space, data)

    return keyed
