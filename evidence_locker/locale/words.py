"""Words for a record's coded values (channel, app, outcome, event) in either language.

Every view names a contact the same way, wholly in the reader's language: ``微信消息`` /
``WeChat message``, never ``消息/wechat``. The values come in as the model's strings
(this layer sits below the model); a value without words of its own is shown as stored.
"""

from __future__ import annotations

from evidence_locker.locale.messages import catalog, t


def value_label(field: str, value: str, lang: str) -> str:
    """``已接通`` for outcome ``connected``; the value itself when it has no words."""
    key = f"{field}.{value}"
    return t(key, lang) if key in catalog() else value


def channel_label(channel: str, app: str | None, lang: str) -> str:
    """A channel with the app it went through: ``微信通话``, ``短信（iMessage）``."""
    base = value_label("channel", channel, lang)
    if not app:
        return base
    name = value_label("app", app, lang)
    own = f"channel.{channel}.with_app"
    if own in catalog():
        return t(own, lang, app=name)
    return t("channel.with_app", lang, channel=base, app=name)
