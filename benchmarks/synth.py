"""Deterministic synthetic collection contacts, for benchmarks and scale tests.

``generate(n, seed)`` yields ``n`` realistic :class:`ContactDraft` objects: SMS (most),
calls, visits, a few e-mails, letters and app messages, from several creditors and the
agencies collecting for them, in Simplified Chinese, Traditional Chinese (Hong Kong
agencies), English and mixed text, with phone numbers written the many ways people write
them (``13800138000``, ``138-0013-8000``, ``+86 138 0013 8000``, full-width digits).
The same ``(n, seed)`` always gives the same records; ~100k records take about a second.

A few rare markers are planted at known rates so benchmarks have rare and common terms:
``仲裁委员会`` (about 1 in 2,000 records, in the notes) and the case reference
``AJ-2025-0042`` (about 1 in 1,000); ``还款`` occurs in a third of all records. The
first creditor's most used number is ``13800138000`` (written its many ways).
Records span two years whatever ``n`` is (so a date filter keeps a fixed share).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

from evidence_locker.model import Channel, ContactDraft, Direction, Outcome, Source

TZ = timezone(timedelta(hours=8))
START = datetime(2025, 1, 1, 8, 0, tzinfo=TZ)

CREDITORS = (
    ("农商银行", "Rural Commercial Bank"),
    ("平安普惠", "Ping An Puhui"),
    ("招联金融", "Zhaolian Finance"),
    ("微粒贷", "WeLoan"),
    ("花呗", "Huabei"),
    ("Citibank", "Citibank"),
    ("安逸花", "Anyihua"),
    ("360借条", "360 IOU"),
)
AGENCIES = (
    "深圳市鼎信资产管理有限公司",
    "上海融达商务咨询有限公司",
    "北京华诚律师事务所",
    "香港信達追收有限公司",
    "Global Recovery Partners Ltd",
    "广州恒信催收外包服务中心",
)
COLLECTORS = ("王经理", "李专员", "张律师", "陈主管", "刘女士", "Mr. Chen", "Ms. Wong", "赵组长")
# One number the first creditor calls from, so a benchmark can search a number with hits.
KNOWN_NUMBER = "13800138000"
STREETS = ("人民路", "建设大道", "解放西路", "中山二路", "Nathan Road", "学府街")

ZH_SMS = (
    "【{org}】尊敬的客户，您的借款已逾期{days}天，欠款{amount}元，请于今日18点前还款，"
    "否则将{threat}。联系人：{who} {phone}",
    "{org}提醒：您尾号{tail}的账户逾期未还款{amount}元，我司已受理委托，请尽快处理。回电{phone}",
    "你再不还款，我们就{threat}，别怪我们没提醒你！{who}",
    "您好，这里是{agency}，受{org}委托催收您的欠款{amount}元，请联系{who}：{phone}",
    "最后通知：如{date}前仍未还款，我司将{threat}。{agency}",
    "【{org}】您本期账单应还{amount}元，已逾期{days}天，逾期将影响个人征信。",
    "我们已经联系了你的{relative}，他们说会转告你。尽快还款{amount}元。{who}",
    "您的案件已转入诉前调解阶段，案号{case_ref}，请配合处理。{agency}",
)
ZH_TRAD = (
    "【{org}】閣下的欠款已逾期{days}天，請儘快還款{amount}元，否則我們將{threat_t}。",
    "{agency}通知：閣下的賬戶已轉交本公司追收，請致電{phone}聯絡{who}。",
)
THREATS = (
    "上门拜访",
    "联系你单位",
    "向法院起诉",
    "通知你的通讯录联系人",
    "上报征信系统",
    "派人到你家里",
)
THREATS_T = ("上門拜訪", "聯絡你的公司", "向法院起訴", "通知你的親友")
RELATIVES = ("父母", "妻子", "同事", "领导", "朋友")
EN_SMS = (
    "This is {agency} on behalf of {org_en}. Your account is {days} days past due, "
    "balance CNY {amount}. Call {who} at {phone} today.",
    "FINAL NOTICE: pay {amount} by {date} or we will {threat_en}.",
    "Hi, {who} here from {org_en}. We need to talk about your overdue loan. {phone}",
    "Your case {case_ref} has been escalated to our legal department.",
)
THREATS_EN = (
    "file a lawsuit",
    "visit your workplace",
    "contact your family",
    "report you to the credit bureau",
    "send a field agent to your home",
)
MIXED = (
    "{who}说如果不还款就要 file a lawsuit，还要联系我的HR。",
    "Call from {phone}, 对方自称{agency}的{who}，语气很凶，说要上门。",
)
CALL_NOTES = (
    "对方自称{org}的{who}，要求今天还款{amount}元，说不还就{threat}。",
    "{who}打来电话，态度恶劣，骂我是老赖，威胁{threat}。",
    "未接来电，{phone}，{time}打来。",
    "Caller said he was from {agency} and would {threat_en}. Lasted about {minutes} minutes.",
    "对方说已经给我{relative}打过电话了，让我马上处理欠款。",
)
VISIT_NOTES = (
    "两名自称{agency}的人到{place}，要求见我，在门口停留约{minutes}分钟。",
    "{who}和另一人来到{place}，当着同事的面说我欠钱不还。",
    "Two men from {agency} came to {place} and asked my neighbours about me.",
)
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("35789") + "".join(rng.choice("0123456789") for _ in range(9))


def _write_phone(rng: random.Random, digits: str) -> str:
    """The same number, written the way a message or a person happens to write it."""
    style = rng.random()
    if style < 0.45:
        return digits
    if style < 0.65:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if style < 0.85:
        return f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}"
    if style < 0.95:
        return f"({digits[:3]}) {digits[3:7]} {digits[7:]}"
    return digits.translate(FULLWIDTH)


def generate(n: int, seed: int = 0) -> Iterator[ContactDraft]:
    """Yield ``n`` contacts, oldest first, the same ones for the same ``(n, seed)``."""
    rng = random.Random(seed)
    # Each creditor has an agency, a few collectors and a few numbers it calls from.
    numbers = [[_phone(rng) for _ in range(4)] for _ in CREDITORS]
    numbers[0][0] = KNOWN_NUMBER  # after the draws: the rest of the stream is unchanged
    agencies = [AGENCIES[i % len(AGENCIES)] for i in range(len(CREDITORS))]
    when = START
    mean_gap = 2 * 365 * 86400 / max(n, 1)
    for i in range(n):
        # Two years of contacts, mostly between 8:00 and 22:00.
        when += timedelta(seconds=rng.expovariate(1 / mean_gap))
        if when.hour < 8 and rng.random() < 0.8:
            when = when.replace(hour=8, minute=rng.randrange(60))
        c = rng.randrange(len(CREDITORS))
        org, org_en = CREDITORS[c]
        phone_digits = rng.choice(numbers[c])
        slots = {
            "org": org,
            "org_en": org_en,
            "agency": agencies[c],
            "who": rng.choice(COLLECTORS),
            "phone": _write_phone(rng, phone_digits),
            "days": rng.randrange(1, 400),
            "amount": f"{rng.randrange(500, 90000):,}"
            if rng.random() < 0.3
            else rng.randrange(500, 90000),
            "tail": rng.randrange(1000, 9999),
            "threat": rng.choice(THREATS),
            "threat_t": rng.choice(THREATS_T),
            "threat_en": rng.choice(THREATS_EN),
            "relative": rng.choice(RELATIVES),
            "date": (when + timedelta(days=rng.randrange(1, 10))).strftime("%Y-%m-%d"),
            "time": when.strftime("%H:%M"),
            "minutes": rng.randrange(1, 40),
            "place": rng.choice(("我家楼下", "我公司前台", "小区门口", "my office", "my home")),
            "case_ref": "AJ-2025-0042"
            if rng.random() < 0.02
            else f"AJ-2025-{rng.randrange(10000):04d}",
        }
        roll = rng.random()
        tags: tuple[str, ...] = ()
        if roll < 0.62:
            channel, direction = Channel.SMS, Direction.INCOMING
            lang = rng.random()
            if lang < 0.7:
                template = rng.choice(ZH_SMS)
            elif lang < 0.8:
                template = rng.choice(ZH_TRAD)
            elif lang < 0.95:
                template = rng.choice(EN_SMS)
            else:
                template = rng.choice(MIXED)
            content = template.format(**slots)
            extra = {"address": "+86" + phone_digits}
        elif roll < 0.9:
            channel = Channel.CALL
            direction = Direction.INCOMING if rng.random() < 0.9 else Direction.OUTGOING
            content = rng.choice(CALL_NOTES).format(**slots)
            missed = "未接" in content
            extra = {
                "address": "+86" + phone_digits,
                "duration_s": None if missed else rng.randrange(15, 1500),
                "outcome": Outcome.MISSED if missed else Outcome.CONNECTED,
                "counterpart": slots["who"],
            }
            tags = ("威胁",) if "威胁" in content or "threat" in content else ()
        elif roll < 0.96:
            channel, direction = Channel.VISIT, Direction.IN_PERSON
            content = rng.choice(VISIT_NOTES).format(**slots)
            extra = {
                "location": f"{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
                "people_present": rng.choice(("我和母亲", "同事", "保安", "me alone")),
                "counterpart": slots["who"],
            }
            tags = ("上门",)
        else:
            channel = rng.choice((Channel.EMAIL, Channel.LETTER, Channel.MESSAGE))
            direction = Direction.INCOMING
            content = rng.choice(EN_SMS + ZH_SMS).format(**slots)
            extra = {
                "subject": rng.choice(("律师函", "Notice of Default", "催收通知书", "还款提醒")),
                "address": f"collections@{org_en.lower().replace(' ', '')}.example",
                "app": "wechat" if channel is Channel.MESSAGE else None,
            }
        notes = None
        if rng.random() < 0.08:
            notes = rng.choice(
                ("已截图保存", "录音已保存", "这个号码昨天也打过", "saved screenshot")
            )
        if rng.random() < 0.0005:
            notes = "对方提到仲裁委员会，需要咨询律师"
        yield ContactDraft(
            channel=channel,
            occurred_at=when,
            direction=direction,
            organisation=f"{org} / {slots['agency']}" if rng.random() < 0.5 else org,
            content=content,
            notes=notes,
            tags=tags,
            source=Source(kind="import", format="synth", entry=f"#{i}"),
            **{k: v for k, v in extra.items() if v is not None},
        )
