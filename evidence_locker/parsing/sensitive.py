"""Where phone and card numbers, ID numbers, addresses and names sit in free text.

One definition for the dossier's text masking (``report/redact.py``) and for the
boxes blacked out on screenshots (``ocr/sensitive.py``), so "numbers" means the same
on a page and in an image.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CATEGORIES = frozenset({"numbers", "addresses", "ids", "names"})

# Identity and card numbers: PRC resident id (17 digits + digit or X), 15-19 digit runs
# (bank cards, old ids), passport-like letter+8 digits. Digit runs are found whatever
# stands next to them (file names join words with "_", URLs with "/", labels with
# ":", and OCR often drops the space before a word): "scr_13912345678.png" and
# "card-6222021234567890123" are found too.
ID = re.compile(
    r"(?<![0-9])(?:\d{17}[\dXx]|\d{15,19})(?![0-9])"
    r"|(?<![0-9A-Za-z])[A-Za-z]\d{8}(?![0-9A-Za-z])"
)
# Phone numbers: optional +country, then 7 to 14 digits possibly split by space, dot,
# dash or brackets. Shorter digit runs, amounts, times and dates are left alone.
PHONE = re.compile(
    r"(?<![0-9+])(?<!\d[:.,])"  # not inside a number, a time or an amount
    r"(?!\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d))"  # not a date
    r"\+?(?:\d[\s().\-]?){6,14}\d(?![0-9])"
)
EMAIL = re.compile(r"([A-Za-z0-9._%+\-]+)@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})")
# Chinese street addresses: a run of place words ending in a road/street/lane and a
# house number, optionally building, unit and room.
ZH_ADDRESS = re.compile(
    r"[\u4e00-\u9fff]{0,12}(?:路|街|大道|道|巷|弄|胡同|里)"
    r"[0-9０-９一二三四五六七八九十百零]+(?:号|號)"
    r"(?:[0-9０-９A-Za-z一二三四五六七八九十]+(?:栋|幢|座|楼|層|层|单元|室|号))*"
)
EN_ADDRESS = re.compile(
    r"\b\d{1,6}\s+(?:[A-Z][a-z]+\s+){1,4}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Boulevard|Blvd|Drive|Dr|Court|Ct|Way)\b\.?"
)
# Names: a common surname before a title (王经理, 李某), the words that introduce a
# name (户名/姓名/我是 + two or three characters), and an English "This is First Last".
# A heuristic: it errs towards covering a title with the name.
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
ZH_NAME = re.compile(
    rf"(?P<v>[{_SURNAMES}][\u4e00-\u9fff]?(?:经理|主管|专员|先生|女士|小姐|律师|总|某))"
    r"|(?:户名|姓名|我是)[：:]?\s*(?P<w>(?!某)[\u4e00-\u9fff]{2,3})"
)
EN_NAME = re.compile(r"(?:[Tt]his is|Name:) (?P<v>[A-Z][a-z]+(?: [A-Z][a-z]+)?)")

_PATTERNS = {
    "ids": (ID,),
    "numbers": (PHONE,),
    "addresses": (EMAIL, ZH_ADDRESS, EN_ADDRESS),
    "names": (ZH_NAME, EN_NAME),
}


def find_spans(text: str, categories: Iterable[str]) -> list[tuple[str, int, int]]:
    """(category, start, end) of every sensitive run in ``text``, in text order."""
    out = []
    for category in sorted(set(categories) & CATEGORIES):
        for pattern in _PATTERNS[category]:
            for m in pattern.finditer(text):
                # Patterns with context name the sensitive part as group v (or w).
                part = next((g for g in ("v", "w") if m.groupdict().get(g)), 0)
                if m.group(part):
                    out.append((category, m.start(part), m.end(part)))
    return sorted(out, key=lambda s: (s[1], s[2]))
