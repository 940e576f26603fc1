"""Turning bytes of uncertain encoding, and HTML, into readable text.

Chinese mail and spreadsheets routinely lie about their encoding: ``gb2312`` labels on
GBK bytes, ``gb2312`` labels on UTF-8 bytes, no label at all. The rules here are the
ones that recover the text in those files without guessing wildly.
"""

from __future__ import annotations

import codecs
from html.parser import HTMLParser

# Labels that are subsets of GB18030: decoding with the superset never loses a character
# the label promised, and recovers the GBK-only ones that mislabelled mail carries.
_GB_ALIASES = {"gb2312", "gbk", "x-gbk", "cp936", "ms936", "euc-cn", "gb_2312-80", "csgb2312"}
_BIG5_ALIASES = {"big5", "big5-hkscs", "x-big5", "cn-big5", "cp950"}


def codec_for(label: str | None) -> str | None:
    """The Python codec to use for a charset label, or None if the label is unusable."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if name in _GB_ALIASES or name == "gb18030":
        return "gb18030"
    if name in _BIG5_ALIASES:
        return "big5hkscs"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, label: str | None = None) -> str:
    """Decode ``data``: valid UTF-8 first, then the label, then detection, never failing.

    Non-ASCII bytes that are valid UTF-8 are almost never anything else, so UTF-8 wins
    over a label (mail labelled gb2312 often carries UTF-8). A label that fails strictly
    is ignored; charset-normalizer then guesses; as a last resort bad bytes become U+FFFD.
    """
    if not data:
        return ""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    codec = codec_for(label)
    if codec and codec not in ("utf-8",):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    try:
        import charset_normalizer

        best = charset_normalizer.from_bytes(data[:200_000]).best()
        if best is not None and best.encoding:
            guess = codec_for(best.encoding) or best.encoding
            return data.decode(guess, errors="replace")
    except (LookupError, ValueError):
        pass
    return data.decode("utf-8", errors="replace")


_BLOCK_TAGS = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "section", "article", "header", "footer", "hr", "dd", "dt",
}  # fmt: skip
_SKIP_TAGS = {"script", "style", "head", "title", "template", "noscript"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag == "td":
            self.parts.append("\t")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: tags dropped, blocks on their own lines."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
