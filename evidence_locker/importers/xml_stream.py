"""The byte stream of an XML export, made safe to parse as it arrives.

Old Android exports write an emoji as two surrogate character references, which XML
forbids: :class:`SurrogateFixer` joins them in the bytes before the parser sees them.
:func:`feed_chunks` cuts the stream so no token grows without bound, and
:func:`expat_parser` refuses every DTD, entity and external reference. Kept apart from
the SMS Backup & Restore importer, which reads the records these yield.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import IO, Any
from xml.parsers import expat

from evidence_locker.errors import FormatError

_SURROGATE_REF = re.compile(rb"&#(5[5-7][0-9]{3}|[xX][dD][89a-fA-F][0-9a-fA-F]{2});")
_HOLD_BACK = 12  # longer than any character reference (&#1114111; is 10 bytes)
_HIGH_AT_END = re.compile(rb"&#(5[5-6][0-9]{3}|[xX][dD][89abAB][0-9a-fA-F]{2});$")


def _ref_value(match: re.Match[bytes]) -> int:
    text = match.group(1)
    return int(text[1:], 16) if text[:1] in (b"x", b"X") else int(text)


def fix_surrogate_refs(data: bytes) -> bytes:
    """Replace ``&#55357;&#56832;`` by ``&#128512;``; a lone surrogate by U+FFFD."""
    if b"&#" not in data:
        return data
    matches = list(_SURROGATE_REF.finditer(data))
    if not matches:
        return data
    out: list[bytes] = []
    pos = i = 0
    while i < len(matches):
        m = matches[i]
        value = _ref_value(m)
        if not 0xD800 <= value <= 0xDFFF:
            i += 1
            continue
        out.append(data[pos : m.start()])
        nxt = matches[i + 1] if i + 1 < len(matches) else None
        if (
            value <= 0xDBFF
            and nxt is not None
            and nxt.start() == m.end()
            and 0xDC00 <= _ref_value(nxt) <= 0xDFFF
        ):
            combined = 0x10000 + ((value - 0xD800) << 10) + (_ref_value(nxt) - 0xDC00)
            out.append(b"&#%d;" % combined)
            pos = nxt.end()
            i += 2
        else:
            out.append(b"&#65533;")
            pos = m.end()
            i += 1
    out.append(data[pos:])
    return b"".join(out)


def _safe_cut(data: bytes) -> int:
    """Where ``data`` can be split without cutting a reference or a surrogate pair."""
    cut = len(data)
    amp = data.rfind(b"&", max(0, cut - _HOLD_BACK))
    if amp >= 0 and b";" not in data[amp:]:
        cut = amp  # a reference may continue in the next chunk
    high = _HIGH_AT_END.search(data, max(0, cut - _HOLD_BACK), cut)
    if high is not None and 0xD800 <= _ref_value(high) <= 0xDBFF:
        cut = high.start()  # its low half may come next
    return cut


class SurrogateFixer:
    """A read-only byte stream that applies :func:`fix_surrogate_refs` chunk by chunk.

    The tail from the first ``&`` among the last bytes of a chunk is held back, so a pair
    of references is never split across two chunks.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._carry = b""

    def read(self, size: int = -1) -> bytes:
        while True:
            chunk = self._raw.read(size if size and size > 0 else 1 << 16)
            if not chunk:
                data, self._carry = self._carry, b""
                return fix_surrogate_refs(data)
            data = self._carry + chunk
            cut = _safe_cut(data)
            data, self._carry = data[:cut], data[cut:]
            if data:
                return fix_surrogate_refs(data)


READ_SIZE = 1 << 16


class TokenTooLarge(Exception):
    """One tag (with its attributes) longer than the bound: the file is refused."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def feed_chunks(read: Callable[[int], bytes], limit: int) -> Iterator[tuple[bytes, bool]]:
    """``(chunk, last)`` pairs to hand to expat, in linear time however long a tag is.

    Expat (2.5, before "reparse deferral") rescans an unfinished token from its start on
    every call, so a 32 MB attribute fed 64 KiB at a time was rescanned 500 times (21 s;
    200 MB never finished). Here a call waits until it brings at least as many new bytes
    as the unfinished tail expat holds (everything after the last ``>``), so the rescans
    add up to at most twice the file's size. A tail over ``limit`` bytes raises
    :class:`TokenTooLarge` before more of it is read: memory stays within twice the bound.
    """
    pending = 0  # bytes after the last ">" handed on: what expat would rescan
    parts: list[bytes] = []
    size = 0
    while True:
        data = read(READ_SIZE)
        parts.append(data)
        size += len(data)
        if pending + size > limit and b">" not in data:
            raise TokenTooLarge(pending + size)
        if data and size < pending:
            continue
        chunk = b"".join(parts)
        parts.clear()
        size = 0
        end = chunk.rfind(b">")
        pending = pending + len(chunk) if end < 0 else len(chunk) - end - 1
        yield chunk, not data
        if not data:
            return


class Node:
    """One element of a record: its tag, its attributes and, for ``<mms>``, every
    element inside it in document order (``<part>``, ``<addr>``...). Lighter than an
    ElementTree element, and all an entry needs."""

    __slots__ = ("attrib", "children", "tag")

    def __init__(self, tag: str, attrib: dict[str, str], children: list[Node]) -> None:
        self.tag, self.attrib, self.children = tag, attrib, children

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.attrib.get(key, default)

    def iter(self, tag: str) -> Iterator[Node]:
        """The elements named ``tag`` inside this one, in document order."""
        return (node for node in self.children if node.tag == tag)


def expat_parser(
    file_name: str, start: Callable[[str, dict[str, str]], None], end: Callable[[str], None]
) -> Any:
    """An expat parser that refuses any DTD, entity declaration or external reference.

    The same refusals as defusedxml's ``forbid_dtd`` (entities can only be declared in
    a DTD, so refusing the DTD refuses them all; the other handlers are a second lock),
    but with expat's own callbacks instead of defusedxml's pure-Python tree builder:
    record elements arrive as one attribute dict each (the importer's whole parse went
    from ~19 to ~16 us a record). Names are namespace-resolved the way ElementTree
    resolves them (``uri}name``).
    """

    def forbid(what: str) -> Callable[..., None]:
        def refuse(*_args: object) -> None:
            raise FormatError("import.xml_forbidden", file=file_name, detail=what)

        return refuse

    parser = expat.ParserCreate(None, "}")
    parser.StartDoctypeDeclHandler = forbid("DTDForbidden")
    parser.EntityDeclHandler = forbid("EntitiesForbidden")
    parser.UnparsedEntityDeclHandler = forbid("EntitiesForbidden")
    parser.ExternalEntityRefHandler = forbid("ExternalReferenceForbidden")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    return parser
