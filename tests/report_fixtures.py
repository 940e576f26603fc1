"""Realistic records and a real proof bundle for the dossier tests and benchmark.

Builds what the locker would: ledger headers, salted commitments, RFC 6962 leaves,
a signed checkpoint, the bundle, and the dossier key endorsement.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from evidence_locker.crypto import Signer
from evidence_locker.crypto.pdfsign import dossier_public_key
from evidence_locker.ledger import merkle
from evidence_locker.ledger.bundle import EntryReveal, build_bundle
from evidence_locker.ledger.canonical import commitment, entry_leaf_hash
from evidence_locker.ledger.checkpoint import Checkpoint, sign_note
from evidence_locker.model import (
    SENSITIVE_FIELDS,
    AttachmentInfo,
    Channel,
    Direction,
    Outcome,
    Record,
    Source,
    micros,
    offset_minutes,
)
from evidence_locker.report.endorse import sign_endorsement
from evidence_locker.report.redact import fields_to_withhold

LEDGER_SEED = bytes(range(32))
DOSSIER_SEED = hashlib.sha256(b"dossier seed for tests").digest()
ORIGIN = "evidence-locker.local/test-locker"
CST = timezone(timedelta(hours=8))
GENERATED = datetime(2026, 11, 22, 15, 30, tzinfo=CST)

# Known contents: Simplified, Traditional, English, mixed, full-width, emoji.
CONTENTS = [
    "【催收通知】您的借款已逾期 35 天，请于今日 18:00 前还款 3,560.00 元，"
    "否则将联系您的家人和单位。",
    "您好，這裡是臺灣某某資產管理公司，請儘速與我們聯絡，以免影響您的信用紀錄。",
    "Final notice: your account 4417 is past due. Call us back at +1 415 555 0137 today.",
    "张先生 Mr. Zhang, 请回电 call back ASAP 否则 we will visit your office 明天上午。",
    "全角标点测试：（一）「引号」『书名』！？；：，。ＡＢＣ１２３％＃＠",
    "再不还钱就等着瞧 😡🔪 you have been warned 👀",
]
ORGS = ["某某消费金融有限公司", "Acme Recovery Services LLC", "臺灣資產管理股份有限公司"]
PEOPLE = ["王经理", "Sarah Miller", "李專員", "赵律师助理"]


def _fields(rec: Record) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in SENSITIVE_FIELDS:
        value = getattr(rec, name)
        if value is None or value == () or value == "":
            continue
        if name == "tags":
            value = list(value)
        elif name == "source":
            value = value.to_json()
        elif hasattr(value, "value"):
            value = value.value
        out[name] = value
    return out


def header(rec: Record) -> dict[str, Any]:
    return {
        "seq": rec.seq,
        "id": rec.id,
        "kind": "correction" if rec.corrects else "record",
        "target": rec.corrects,
        "record_id": rec.record_id,
        "channel": rec.channel.value,
        "direction": rec.direction.value,
        "occurred_at": micros(rec.occurred_at),
        "offset": offset_minutes(rec.occurred_at),
        "logged_at": micros(rec.logged_at),
        "case_id": rec.case_id,
    }


def make_records(
    n: int = 8,
    *,
    start: datetime | None = None,
    with_correction: bool = True,
    image_sha: str | None = None,
) -> list[Record]:
    """``n`` contacts over a few weeks, some at night, one corrected (2 versions)."""
    start = start or datetime(2026, 10, 3, 9, 12, tzinfo=CST)
    recs: list[Record] = []
    seq = 0
    for i in range(n):
        when = start + timedelta(hours=7 * i + (i % 5) * 13, minutes=(i * 17) % 60)
        channel = [Channel.SMS, Channel.CALL, Channel.MESSAGE, Channel.VISIT, Channel.EMAIL][i % 5]
        atts: tuple[AttachmentInfo, ...] = ()
        if i == 1:
            atts = (
                AttachmentInfo(
                    id="att-1",
                    record_id=f"rec-{i:05d}",
                    name="通话录音.m4a",
                    mime="audio/mp4",
                    size=482_113,
                    sha256=hashlib.sha256(b"audio").hexdigest(),
                ),
            )
        if i == 2 and image_sha:
            atts = (
                AttachmentInfo(
                    id="att-2",
                    record_id=f"rec-{i:05d}",
                    name="截图 screenshot.png",
                    mime="image/png",
                    size=1234,
                    sha256=image_sha,
                    caption="微信聊天截图 WeChat screenshot",
                ),
            )
        rec = Record(
            id=f"ver-{i:05d}-a",
            record_id=f"rec-{i:05d}",
            seq=seq,
            channel=channel,
            direction=Direction.IN_PERSON if channel == Channel.VISIT else Direction.INCOMING,
            occurred_at=when,
            logged_at=(when + timedelta(minutes=20)).astimezone(UTC),
            counterpart=PEOPLE[i % len(PEOPLE)],
            organisation=ORGS[i % len(ORGS)],
            address="+8613812345678" if channel in (Channel.SMS, Channel.CALL) else None,
            subject="逾期提醒 Overdue reminder" if channel == Channel.EMAIL else None,
            content=f"[{i}] {CONTENTS[i % len(CONTENTS)]}",
            location="上海市浦东新区世纪大道100号5楼" if channel == Channel.VISIT else None,
            duration_s=183 if channel == Channel.CALL else None,
            outcome=Outcome.CONNECTED if channel == Channel.CALL else None,
            tags=("threat",) if i % 6 == 5 else (),
            source=Source(kind="manual"),
            case_id="case-1",
            case="招商信用卡 credit card",
            attachments=atts,
        )
        seq += 1
        recs.append(rec)
        if with_correction and i == 0:
            fixed = replace(
                rec,
                id=f"ver-{i:05d}-b",
                seq=seq,
                content=rec.content + "（已核对原短信）",
                counterpart="王经理（催收员）",
                corrects=rec.id,
                correction_reason="补充核对信息 typo fixed",
                logged_at=rec.logged_at + timedelta(days=1),
            )
            recs[-1] = replace(rec, superseded_by=fixed.id)
            recs.append(fixed)
            seq += 1
    return recs


def render_signed(
    records: Sequence[Record], bundle: dict[str, Any], seed: bytes | None = None, **kw: Any
) -> bytes:
    """An English dossier of ``records`` signed with ``seed`` (default: the tests' key)."""
    from zoneinfo import ZoneInfo

    from evidence_locker.report import render_dossier

    options: dict[str, Any] = {
        "lang": "en",
        "title": "Test dossier",
        "claimant": "Zhang San",
        "generated_at": GENERATED,
        "tz": ZoneInfo("Asia/Shanghai"),
        "signing_seed": DOSSIER_SEED if seed is None else seed,
    }
    return render_dossier(records, bundle, **{**options, **kw})


def salt_for(rec: Record, name: str) -> bytes:
    return hashlib.sha256(f"salt/{rec.id}/{name}".encode()).digest()[:16]


def finish(
    records: Sequence[Record], *, redact: frozenset[str] = frozenset(), endorse: bool = True
) -> tuple[list[Record], dict[str, Any]]:
    """Leaf hashes on the records, and the proof bundle for all of them."""
    signer = Signer(LEDGER_SEED)
    out = []
    leaves = []
    reveals = []
    for rec in records:
        fields = _fields(rec)
        commitments = {k: commitment(salt_for(rec, k), v) for k, v in fields.items()}
        leaf = entry_leaf_hash(header(rec), commitments)
        leaves.append(leaf)
        out.append(replace(rec, leaf_hash=leaf.hex()))
        reveals.append(
            EntryReveal(
                seq=rec.seq,
                header=header(rec),
                fields={k: (salt_for(rec, k), v) for k, v in fields.items()},
                redact=fields_to_withhold(fields, redact),
            )
        )
    seq = max((r.seq for r in records), default=-1) + 1
    for rec in records:  # each shown record's files: an attachment entry, as the locker has
        if rec.superseded_by is not None:
            continue
        for att in rec.attachments:
            head = {**header(rec), "seq": seq, "id": att.id, "kind": "attachment"}
            head["target"] = rec.record_id
            fields = {"name": att.name, "mime": att.mime, "size": att.size, "sha256": att.sha256}
            if att.caption:
                fields["caption"] = att.caption
            commitments = {k: commitment(salt_for(rec, att.id + k), v) for k, v in fields.items()}
            leaves.append(entry_leaf_hash(head, commitments))
            reveals.append(
                EntryReveal(
                    seq=seq,
                    header=head,
                    fields={k: (salt_for(rec, att.id + k), v) for k, v in fields.items()},
                    redact=fields_to_withhold(fields, redact),
                )
            )
            seq += 1
    cp = Checkpoint(ORIGIN, len(leaves), merkle.root(leaves))
    note = sign_note(cp, signer)
    bundle = build_bundle(
        origin=ORIGIN,
        public_key=signer.public_key,
        checkpoint_note=note,
        leaves=leaves,
        entries=reveals,
    )
    if endorse:
        bundle["dossier_key_note"] = sign_endorsement(
            signer, ORIGIN, dossier_public_key(DOSSIER_SEED)
        )
    return out, bundle


def png_bytes() -> bytes:
    """A small real PNG (drawn with Pillow): a fake chat screenshot."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (360, 240), "white")
    d = ImageDraw.Draw(img)
    d.rectangle((10, 10, 350, 60), outline="black", width=2)
    d.text((20, 25), "Pay today or we call your boss", fill="black")
    d.rectangle((10, 80, 250, 130), fill=(200, 200, 200))
    d.text((20, 95), "23:41  unknown number", fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def resign_bundle(bundle: dict[str, Any], signer: Signer, dossier_key: bytes) -> dict[str, Any]:
    """The same entries and tree, but signed and endorsed by another ledger key: what
    someone with their own locker could make of a bundle's contents."""
    import base64

    from evidence_locker.ledger.checkpoint import verifier_key

    cp = Checkpoint.parse_body(str(bundle["checkpoint"]).partition("\n\n")[0] + "\n")
    out = dict(bundle)
    out["checkpoint"] = sign_note(cp, signer)
    out["public_key"] = base64.b64encode(signer.public_key).decode()
    out["verifier_key"] = verifier_key(ORIGIN, signer.public_key)
    out["dossier_key_note"] = sign_endorsement(signer, ORIGIN, dossier_key)
    return out
