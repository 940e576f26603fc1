"""A realistic locker for the dossier, built through the public API (issue 16).

Three months of collection contacts from four organisations (two creditors and two
agencies acting for them): SMS, calls (some over an hour), door visits, WeChat
messages, an e-mail imported from a .eml sent from another time zone, a letter with
its PDF, screenshots and a call recording; contacts at night, contacts reported by
the debtor's mother and employer, a number with no name, corrections (one moves a
call from 09:15 to 10:15), a deletion, and a case. Deterministic: a fixed random seed
and an injected clock.

Used by tests (``build_sample``) and to look at the result::

    python tests/dossier_sample.py OUT_DIR [--records N]

writes ``OUT_DIR/sample-zh.pdf`` and ``OUT_DIR/sample-en.pdf``.
"""

from __future__ import annotations

import io
import random
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from evidence_locker.locker import Locker  # noqa: E402
from evidence_locker.model import (  # noqa: E402
    AttachmentDraft,
    Channel,
    ContactDraft,
    Direction,
    Outcome,
    RecordFilter,
)

PASSPHRASE = "sample passphrase 样本"
CST = timezone(timedelta(hours=8))
START = datetime(2025, 1, 6, 9, 0, tzinfo=CST)
GENERATED = datetime(2025, 4, 2, 10, 30, tzinfo=CST)

ORGS = [
    ("XX农商银行", ["95577"], ["信用卡中心 李专员"]),
    ("某某消费金融有限公司", ["4008001234"], ["王经理 工号HX-1024", "客服 07"]),
    ("深圳市某催收服务有限公司", ["13800138000", "17099887766"], ["催收员 张某", "陈主管"]),
    ("Acme Recovery Services LLC", ["+1 415 555 0137"], ["Sarah Miller"]),
]
SMS = [
    "【{org}】您的借款已逾期 {days} 天，欠款 {amount} 元，请于今日 18:00 前还款，否则将上报征信。",
    "【{org}】再不还款，我们将联系您的家人和单位，后果自负！",
    "尊敬的客户，您的账户已转交外访，工作人员将于近日上门核实，请配合。",
    "Your account is {days} days past due. Pay {amount} today to avoid further action: https://pay.example.com/u/88231?ref=sms",
]
CALLS = [
    "对方说如果今天不还就去我单位找领导，还说要在小区贴告示。",
    "自称律师事务所，说已经立案，要冻结我的银行卡。我要求对方出示文件，对方挂断。",
    "Caller said they would tell my employer about the debt unless I paid by Friday.",
    "对方语气很凶，连续骂人，说“不还钱就别想过安稳日子”。",
]
VISITS = [
    "两名男子上门，在门口大声喊我的名字，邻居都出来看了。",
    "上门人员拍了我家门牌照片，说下次带人来。",
]
WECHAT = ["把你的欠款信息发到你们公司群里信不信？", "今天之前不处理，就把你的照片发朋友圈。"]


@dataclass
class Sample:
    locker: Locker
    case_name: str
    corrected_time_id: str  # the call moved from 09:15 to 10:15
    deleted_id: str


class _Clock:
    def __init__(self) -> None:
        self.now = START.astimezone(UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=7)
        return self.now

    def at(self, when: datetime) -> None:
        """Log a contact soon after it happened (logging time is the clock)."""
        target = when.astimezone(UTC) + timedelta(minutes=25)
        if target > self.now:
            self.now = target


def _png(text: str, size: tuple[int, int] = (540, 960)) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (236, 236, 236))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, size[0], 70), fill=(60, 60, 60))
    d.text((20, 25), "WeChat", fill="white")
    for i, line in enumerate(text.split("\n")):
        d.rectangle((20, 110 + i * 90, size[0] - 60, 170 + i * 90), fill="white")
        d.text((34, 130 + i * 90), line, fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _letter_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    for page in (1, 2):
        c.setFont("Helvetica-Bold", 16)
        c.drawString(72, 760, "FINAL DEMAND BEFORE LEGAL ACTION")
        c.setFont("Helvetica", 11)
        for i, line in enumerate(
            [
                "Acme Recovery Services LLC, 100 Market Street, San Francisco",
                f"Page {page} of 2",
                "Account ending 4417. Amount due: USD 3,560.00.",
                "If payment is not received within 7 days we will contact your employer.",
            ]
        ):
            c.drawString(72, 720 - 18 * i, line)
        c.showPage()
    c.save()
    return buf.getvalue()


def _recording() -> bytes:
    """An AMR-NB file of 3 s of silence frames (a phone's call recording format)."""
    return b"#!AMR\n" + (b"\x3c" + b"\x00" * 31) * 150


def _eml() -> bytes:
    return (
        b"From: Acme Recovery <notices@acme-recovery.example>\r\n"
        b"To: zhang.san@example.com\r\n"
        b"Subject: Notice of intent to report\r\n"
        b"Date: Mon, 10 Feb 2025 06:30:00 -0500\r\n"
        b"Message-ID: <notice-4417@acme-recovery.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: text/plain; charset="utf-8"\r\n\r\n'
        b"We will report the account to the credit bureaus and contact your employer\r\n"
        b"unless you call us back today.\r\n"
    )


def build_sample(directory: Path, records: int = 150, seed: int = 16) -> Sample:
    """Make the sample locker in ``directory`` (which must not exist yet)."""
    rng = random.Random(seed)
    clock = _Clock()
    locker, _ = Locker.create(directory, PASSPHRASE, clock=clock)
    case = locker.add_case(
        "card-6222",
        creditor="XX农商银行",
        account="6222 0212 3456 7890 123",
        amount="CNY 35,600.00",
    )
    when = START
    made: list[str] = []
    corrected_time_id = deleted_id = ""
    for i in range(records):
        when += timedelta(minutes=rng.randint(180, 1260))
        org, numbers, people = ORGS[i % 4 if i % 7 else 2]
        number = rng.choice(numbers)
        person = rng.choice(people) if i % 11 else None
        kind = rng.choice(["sms", "sms", "call", "call", "visit", "wechat"])
        if i in (40, 41):
            kind = "call"
        night = i % 9 == 4
        at = when.replace(hour=23, minute=rng.randint(0, 59)) if night else when
        if i == 40:
            at = at.replace(hour=9, minute=15)
        fmt = {"org": org, "days": 30 + i // 2, "amount": f"{3560 + i * 10:,}.00"}
        common = {
            "occurred_at": at,
            "organisation": org,
            "counterpart": person,
            "case": case.name if org == "XX农商银行" else None,
        }
        files: tuple[AttachmentDraft, ...] = ()
        if kind == "sms":
            draft = ContactDraft(
                channel=Channel.SMS, address=number, content=rng.choice(SMS).format(**fmt), **common
            )
        elif kind == "call":
            seconds = 3900 if i == 41 else rng.randint(20, 900)
            if i == 41:
                files = (AttachmentDraft(name="通话录音 0208.amr", data=_recording()),)
            draft = ContactDraft(
                channel=Channel.CALL,
                address=number,
                duration_s=seconds,
                outcome=Outcome.CONNECTED,
                content=rng.choice(CALLS),
                attachments=files,
                **common,
            )
        elif kind == "visit":
            draft = ContactDraft(
                channel=Channel.VISIT,
                direction=Direction.IN_PERSON,
                location="家门口",
                people_present="两名男子",
                content=rng.choice(VISITS),
                **common,
            )
        else:
            if i % 3 == 0:
                files = (
                    AttachmentDraft(
                        name=f"微信截图_{i:03d}.png",
                        data=_png(f"{org}\n{rng.choice(WECHAT)}"),
                        caption="微信聊天截图 WeChat screenshot",
                    ),
                )
            draft = ContactDraft(
                channel=Channel.MESSAGE,
                app="wechat",
                content=rng.choice(WECHAT),
                attachments=files,
                **common,
            )
        if i % 23 == 10:
            draft = ContactDraft(
                channel=Channel.CALL,
                third_party="母亲 (mother)" if i % 2 else "单位人事 (employer HR)",
                content="对方打电话给我母亲，说我欠钱不还，让她转告我。",
                duration_s=240,
                **{**common, "counterpart": None},
            )
        made.append(locker.log(_logged(draft, clock)).record_id)
    # a letter with its PDF, an e-mail sent from New York (-05:00), a number without a name
    letter = ContactDraft(
        channel=Channel.LETTER,
        occurred_at=START + timedelta(days=30, hours=2),
        organisation="Acme Recovery Services LLC",
        subject="Final demand before legal action",
        content="Letter received by post; it threatens to contact my employer.",
        attachments=(AttachmentDraft(name="final-demand.pdf", data=_letter_pdf()),),
    )
    made.append(locker.log(_logged(letter, clock)).record_id)
    eml = Path(directory).parent / "notice.eml"
    eml.write_bytes(_eml())
    from evidence_locker.locker.importing import import_file

    import_file(locker, eml)
    nameless = ContactDraft(
        channel=Channel.CALL,
        occurred_at=START + timedelta(days=50, hours=14),
        address="17099887766",
        duration_s=65,
        content="未显示姓名，接通后对方直接问我什么时候还钱。",
    )
    made.append(locker.log(_logged(nameless, clock)).record_id)
    # corrections: a time (09:15 -> 10:15) and a content; a deletion
    corrected_time_id = made[40]
    fixed = locker.get(corrected_time_id).latest.occurred_at.replace(hour=10, minute=15)
    locker.correct(corrected_time_id, reason="通话记录显示为 10:15", changes={"occurred_at": fixed})
    locker.correct(
        made[12], reason="补全对方原话", changes={"content": "对方说：“今天不还，明天就去你单位。”"}
    )
    deleted_id = made[30]
    locker.delete(deleted_id, reason="重复记录（与前一条为同一通电话）")
    return Sample(locker, case.name, corrected_time_id, deleted_id)


def _logged(draft: ContactDraft, clock: _Clock) -> ContactDraft:
    clock.at(draft.occurred_at)
    return draft


def export_pdf(
    sample: Sample, lang: str, flt: RecordFilter | None = None, **options: object
) -> bytes:
    """The sample's dossier with the Chinese rule set's findings, as the CLI makes it."""
    from zoneinfo import ZoneInfo

    from evidence_locker.report.export import export_dossier
    from evidence_locker.rules import resolve_rule_sets

    flt = flt or RecordFilter()
    sets = resolve_rule_sets(["cn"])
    flags = sample.locker.check(flt, rule_sets=sets, tz="Asia/Shanghai").findings
    return export_dossier(
        sample.locker,
        flt,
        generated_at=GENERATED,
        tz=ZoneInfo("Asia/Shanghai"),
        lang=lang,
        claimant="张三 Zhang San",
        flags=[f.to_json(lang) for f in flags],
        rule_sets=[(s.name, s.title_zh if lang == "zh" else s.title_en) for s in sets],
        **options,
    )


def main(argv: list[str]) -> None:
    out = Path(argv[0])
    n = int(argv[argv.index("--records") + 1]) if "--records" in argv else 150
    out.mkdir(parents=True, exist_ok=True)
    sample = build_sample(out / "locker", records=n)
    for lang in ("zh", "en"):
        (out / f"sample-{lang}.pdf").write_bytes(export_pdf(sample, lang))
    sample.locker.close()


if __name__ == "__main__":
    main(sys.argv[1:])
