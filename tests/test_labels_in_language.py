"""Every label a view prints is wholly in the chosen language: a WeChat message is
微信消息 in Chinese and "WeChat message" in English, never "消息/wechat"."""

from __future__ import annotations

import json
import re

import pytest

from evidence_locker.locale.words import channel_label, value_label

LOGS = [
    ("call", "--app", "wechat", "--org", "某催收公司", "--number", "13800138000",
     "--duration", "6m5s", "--outcome", "connected", "--content", "说要通知我单位"),
    ("message", "--app", "wechat", "--counterpart", "催收员A", "--content", "再不还就曝光"),
    ("sms", "--app", "alipay", "--number", "95188", "--content", "您已逾期"),
]  # fmt: skip
NOT_LABELS = [
    r"\((?:[A-Z]+-)+[A-Z0-9]+\)",  # rule ids, e.g. (CN-CBA-TIME)
    r"\b[0-9a-f]{8,}\b",  # record ids, hashes
    r"\bAsia/|\bShanghai\b",  # the zone, which a narrow table cell breaks after its "/"
    r"GB/T",
    r"--tz",
    r"--verified-only",  # named by the note on unverified sources ("说要通知我单位" cites one)
    r"规则集 [a-z, ]+",  # the rule sets' names, as typed after --rules
]


def _ascii_words(text: str) -> set[str]:
    for pattern in NOT_LABELS:
        text = re.sub(pattern, " ", text)
    return set(re.findall(r"[A-Za-z]{2,}", text))


@pytest.fixture
def logged(ready):  # type: ignore[no-untyped-def]
    for i, args in enumerate(LOGS):
        r = ready("log", *args, "--at", f"2026-02-09 23:{i:02d}")
        assert r.code == 0, r.err
    return ready


def test_views_in_chinese_carry_no_english_label(logged) -> None:  # type: ignore[no-untyped-def]
    cli = logged
    first = json.loads(cli("list", "--json").out)[0]["id"][:8]
    views = {
        "list": cli("--lang", "zh", "list"),
        "show": cli("--lang", "zh", "show", first),
        "check": cli("--lang", "zh", "check", "--rules", "cn"),
        "check at 80 columns": cli("--lang", "zh", "check", "--rules", "cn", env={"COLUMNS": "80"}),
    }
    for name, out in views.items():
        assert out.code == 0, (name, out.err)
        assert _ascii_words(out.out) == set(), (name, out.out)
    assert "微信通话" in views["show"].out and "已接通" in views["show"].out
    assert "微信消息" in views["list"].out and "短信（支付宝）" in views["list"].out
    assert "微信消息：“再不还就曝光”" in views["check at 80 columns"].out


def test_views_in_english_name_the_app(logged) -> None:  # type: ignore[no-untyped-def]
    # Blocks at 80 columns keep each line whole; the wide table breaks "what happened"
    # to its column's width, so there the words are looked for one by one.
    out = logged("--lang", "en", "check", "--rules", "cn", env={"COLUMNS": "80"}).out
    assert "WeChat message: “再不还就曝光”" in out and "WeChat call (lasted 6 min 5 s)" in out
    assert "SMS (Alipay)" in out and "wechat" not in out
    wide = logged("--lang", "en", "check", "--rules", "cn").out
    assert "WeChat message:" in wide and "WeChat call (lasted" in wide
    assert "SMS (Alipay)" in wide and "wechat" not in wide


@pytest.mark.parametrize(
    ("channel", "app", "en", "zh"),
    [
        ("message", "wechat", "WeChat message", "微信消息"),
        ("message", "other", "other app message", "其他应用消息"),
        ("message", None, "message", "消息"),
        ("call", "qq", "QQ call", "QQ通话"),
        ("sms", "imessage", "SMS (iMessage)", "短信（iMessage）"),
    ],
)
def test_channel_words(channel: str, app: str | None, en: str, zh: str) -> None:
    assert channel_label(channel, app, "en") == en and channel_label(channel, app, "zh") == zh


def test_a_value_without_words_is_shown_as_stored() -> None:
    assert value_label("app", "signal", "zh") == "signal"
    assert value_label("outcome", "connected", "zh") == "已接通"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_coded_value_has_words(lang: str) -> None:
    from evidence_locker.locale.messages import catalog
    from evidence_locker.model import APPS, Channel, Event, Outcome

    keys = [f"channel.{c.value}" for c in Channel] + [f"app.{a}" for a in APPS]
    keys += [f"outcome.{o.value}" for o in Outcome] + [f"event.{e.value}" for e in Event]
    assert [k for k in keys if lang not in catalog().get(k, {})] == []


def test_a_finding_names_the_app_the_contact_came_through(logged) -> None:  # type: ignore[no-untyped-def]
    """The reason of a night-contact finding says 微信消息 / "WeChat message", as the
    record's own line does, not the rules' generic 应用消息 / "app message"."""
    for lang, words, generic in (
        ("zh", "微信消息", "应用消息"),
        ("en", "WeChat message", "app message"),
    ):
        out = json.loads(logged("--lang", lang, "check", "--rules", "cn", "--json").out)
        reasons = " ".join(f["reason"] for f in out["findings"])
        assert f"{words}" in reasons and generic not in reasons, reasons


def test_show_names_the_direction_as_the_dossier_does(logged) -> None:  # type: ignore[no-untyped-def]
    """``show`` called an incoming SMS "来电/来信" (a call or a letter); the dossier says
    "对方联系". Both now use the dossier's words, in each language."""
    from evidence_locker.locale.messages import t
    from evidence_locker.model import Direction

    for d in Direction:
        for lang in ("en", "zh"):
            shown, dossier = t(f"direction.{d.value}", lang), t(f"report.direction.{d.value}", lang)
            assert shown.casefold() == dossier.casefold(), (d, lang)
    sms = json.loads(logged("list", "--json").out)[2]["id"][:8]
    out = logged("--lang", "zh", "show", sms).out
    assert "对方联系" in out and "来电" not in out, out
