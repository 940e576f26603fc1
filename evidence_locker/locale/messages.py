"""User-facing text in English and Simplified Chinese.

Messages live in ``evidence_locker/locale/*.toml``, one file per feature, each key a
table with ``en`` and ``zh`` strings using ``str.format`` placeholders. Keeping them
in data files lets each feature own its words without editing a shared module.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from importlib import resources

LANGS = ("en", "zh")


@cache
def catalog() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    folder = resources.files("evidence_locker") / "locale"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            for key, texts in data.items():
                if key in merged:
                    raise RuntimeError(f"duplicate message key {key!r} in {entry.name}")
                merged[key] = texts
    return merged


def detect_lang(explicit: str | None = None) -> str:
    """``--lang`` wins; else EVIDENCE_LOCKER_LANG; else the locale (LC_ALL, LC_MESSAGES, LANG)."""
    if explicit:
        return "zh" if explicit.lower().startswith("zh") else "en"
    for var in ("EVIDENCE_LOCKER_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def t(key: str, lang: str = "en", /, **params: object) -> str:
    """The message ``key`` in ``lang``, falling back to English, then to the key itself."""
    texts = catalog().get(key)
    if texts is None:
        return key if not params else f"{key} {params}"
    text = texts[lang] if lang in texts else texts.get("en", key)
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text
