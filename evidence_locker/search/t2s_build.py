"""Build the Traditional -> Simplified character table that ``normalize`` ships with.

Run ``python -m evidence_locker.search.t2s_build`` after upgrading ``opencc-purepy``;
``tests/test_search_t2s.py`` fails while the shipped file differs from what this builds.
The table is data derived from OpenCC's dictionaries (Apache-2.0, docs/search.md).

Why ship it: building it at run time loads OpenCC's dictionaries and converts ~4,100
characters, about 60 ms, on every command that indexes or searches (``log``
included); reading the shipped file takes about 1 ms.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TABLE_PATH = Path(__file__).with_name("data") / "t2s.txt"


def build_table() -> dict[str, str]:
    """OpenCC's ``t2s`` applied to each character of its Traditional-to-Simplified
    character dictionary, then closed under repetition (applying it twice changes
    nothing). Whole-text OpenCC conversion is phrase-dependent (乾隆 keeps 乾, 乾 alone
    becomes 干), which would break "a substring of the text is found".
    """
    import opencc_purepy
    from opencc_purepy import OpenCC

    converter = OpenCC("t2s")
    path = os.path.join(os.path.dirname(opencc_purepy.__file__), "dicts", "TSCharacters.txt")
    mapping: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            char = line.split("\t", 1)[0].strip()
            if len(char) != 1:
                continue
            simplified = converter.convert(char)
            if len(simplified) == 1 and simplified != char:
                mapping[char] = simplified
    for char in list(mapping):
        target, seen = mapping[char], {char}
        while target in mapping and target not in seen:
            seen.add(target)
            target = mapping[target]
        mapping[char] = target
    return dict(sorted(mapping.items()))


HEADER = (
    "# Traditional -> Simplified Chinese, one character each per line. Derived from\n"
    "# OpenCC's dictionaries (Apache-2.0) by evidence_locker/search/t2s_build.py.\n"
)


def table_text(mapping: dict[str, str]) -> str:
    """A comment, then one line per character: the Traditional one, the Simplified one."""
    return HEADER + "".join(f"{t}{s}\n" for t, s in mapping.items())


def main() -> int:
    TABLE_PATH.write_text(table_text(build_table()), encoding="utf-8")
    print(f"wrote {TABLE_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
