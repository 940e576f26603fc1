"""Generated phone screenshots with known text, for measuring OCR.

Screenshots of WeChat chats and SMS threads are what borrowers keep, so the corpus
draws those: status bar, title, bubbles left and right, centred timestamps, light and
dark mode, Chinese, English and both mixed, phone, ID, card numbers and amounts, at
720p and 1080p+ phone sizes. Text is drawn with the fonts the package bundles (DejaVu
Sans for Latin and digits, Droid Sans Fallback for CJK), run by run as a phone does.

Everything comes from ``random.Random(seed)``, so a seed names one exact image. Each
``Screenshot`` carries the true lines (text and pixel box) and the sensitive values
it shows (kind and text), which the accuracy benchmark and the redaction tests check
against.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONTS = Path(__file__).resolve().parents[1] / "evidence_locker" / "report" / "fonts"
# (width, height): 720p and 1080p Android, an iPhone's 1170 x 2532.
SIZES = ((720, 1600), (1080, 2400), (1170, 2532))

_ZH = [
    "您的贷款已逾期{days}天，请于今日{time}前还款{amount}",
    "再不还款我们就爆通讯录，通知你的家人和单位",
    "我是{org}的{name}，工号{badge}，请尽快联系我{phone}",
    "你的身份证号{idno}已经上报征信系统",
    "明天上门到你家，地址{address}",
    "请转账到个人账户{card}，户名{name}",
    "后果自负，我们已经准备起诉材料",
    "逾期金额{amount}，滞纳金每天{fee}",
    "联系不到你本人，我们只能联系紧急联系人",
    "今天下午{time}之前必须处理，否则移交法务",
]
_EN = [
    "Your loan is {days} days overdue. Pay {amount} today",
    "Call me back at {phone} or we visit your employer",
    "Final notice: account {card} will be sent to court",
    "This is {name_en} from {org_en}, badge {badge}",
    "We know where you live: {address_en}",
]
_MIX = [
    "{org}客服：请回复 YES 确认还款 {amount}",
    "App 显示你已逾期 {days} 天，call {phone}",
    "OK，明天 {time} 我们 visit 你公司",
    "订单号 {order}，please pay now 否则上征信",
]
_SURNAMES = "王李张刘陈杨赵黄周吴"
_GIVEN = ["经理", "主管", "专员", "先生", "女士"]
_ORGS = ["XX农商银行", "某催收公司", "闪电借款", "安心金融", "好借呗"]
_ORGS_EN = ["Rapid Loans", "Acme Credit", "Sun Finance"]
_NAMES_EN = ["John Smith", "Mary Lee", "Tom Chen"]
_STREETS = [
    "朝阳区建国路88号",
    "海淀区中关村大街27号",
    "浦东新区世纪大道100号",
    "天河区体育西路191号",
]
_STREETS_EN = ["88 Jianguo Road", "27 Zhongguancun Street", "100 Century Avenue"]
_NO_LINE_START = set("，。！？：；、）》")  # a phone never starts a line with these
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True, slots=True)
class TrueLine:
    """One drawn line of text and its box (x0, y0, x1, y1) in pixels."""

    text: str
    box: tuple[int, int, int, int]


@dataclass(slots=True)
class Screenshot:
    """A generated screenshot with everything drawn on it known."""

    seed: int
    kind: str  # "chat" or "sms"
    dark: bool
    image: Image.Image
    lines: list[TrueLine] = field(default_factory=list)
    values: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def id_number(rng: random.Random) -> str:
    """A well-formed 18-digit PRC resident ID (GB 11643 check digit), not a real one."""
    body = (
        rng.choice(["110101", "310104", "440106", "510107"])
        + f"{rng.randint(1960, 2003)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        + f"{rng.randint(0, 999):03d}"
    )
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    return body + check


def _phone(rng: random.Random) -> str:
    digits = rng.choice(["138", "139", "186", "159", "177"]) + f"{rng.randint(0, 10**8 - 1):08d}"
    return rng.choice([digits, f"{digits[:3]} {digits[3:7]} {digits[7:]}", f"+86 {digits}"])


def _fill(template: str, rng: random.Random, values: list[tuple[str, str]]) -> str:
    """Put generated values into a template, remembering the sensitive ones."""
    name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
    found = {
        "days": str(rng.randint(3, 400)),
        "time": f"{rng.randint(8, 21)}:{rng.choice(['00', '30', '15'])}",
        "amount": rng.choice([f"{rng.randint(500, 90000)}元", f"¥{rng.randint(500, 90000)}.00"]),
        "org": rng.choice(_ORGS),
        "org_en": rng.choice(_ORGS_EN),
        "name": name,
        "name_en": rng.choice(_NAMES_EN),
        "badge": str(rng.randint(1000, 9999)),
        "phone": _phone(rng),
        "idno": id_number(rng),
        "address": rng.choice(_STREETS),
        "address_en": rng.choice(_STREETS_EN),
        "card": " ".join(f"{rng.randint(0, 9999):04d}" for _ in range(4)),
        "fee": f"{rng.randint(10, 300)}元",
        "order": f"{rng.randint(10**9, 10**10 - 1)}",
    }
    sensitive = {"phone": "phone", "idno": "id", "card": "number", "name": "name"}
    sensitive |= {"address": "address", "address_en": "address", "name_en": "name"}
    for key, kind in sensitive.items():
        if "{" + key + "}" in template:
            values.append((kind, found[key]))
    return template.format(**found)


def _is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


@cache
def _font(cjk: bool, size: int) -> ImageFont.FreeTypeFont:
    name = "DroidSansFallbackFull.ttf" if cjk else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONTS / name), size)


def _runs(text: str) -> list[tuple[bool, str]]:
    """Split text into runs drawn by one font each (CJK or Latin)."""
    runs: list[tuple[bool, str]] = []
    for ch in text:
        cjk = _is_cjk(ch)
        if runs and runs[-1][0] == cjk:
            runs[-1] = (cjk, runs[-1][1] + ch)
        else:
            runs.append((cjk, ch))
    return runs


def _width(text: str, size: int) -> float:
    return sum(_font(cjk, size).getlength(run) for cjk, run in _runs(text))


def _wrap(text: str, size: int, max_width: float) -> list[str]:
    """Greedy wrap: a CJK character or a whole Latin word/number is one unit."""
    units = re.findall(r"[A-Za-z0-9.,:¥+@/-]+|\s|.", text)
    lines, current = [], ""
    for unit in units:
        closing = unit in _NO_LINE_START
        if current and not closing and _width(current + unit, size) > max_width:
            lines.append(current.rstrip())
            current = unit.lstrip()
        else:
            current += unit
    if current.strip():
        lines.append(current.rstrip())
    return lines


def _draw_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int, fill):
    """Draw run by run on one baseline; return the union of the runs' ink boxes."""
    x, y = xy
    baseline = y + _font(True, size).getmetrics()[0]
    boxes = []
    for cjk, run in _runs(text):
        font = _font(cjk, size)
        draw.text((x, baseline), run, font=font, fill=fill, anchor="ls")
        boxes.append(draw.textbbox((x, baseline), run, font=font, anchor="ls"))
        x += font.getlength(run)
    return (
        round(min(b[0] for b in boxes)),
        round(min(b[1] for b in boxes)),
        round(max(b[2] for b in boxes)),
        round(max(b[3] for b in boxes)),
    )


def _message(rng: random.Random, values: list[tuple[str, str]], lang: str) -> str:
    pool = {"zh": _ZH, "en": _EN, "mix": _MIX}[lang]
    return _fill(rng.choice(pool), rng, values)


_THEMES = {
    ("chat", False): dict(bg="#EDEDED", bar="#EDEDED", left="#FFFFFF", right="#95EC69",
                          ink="#111111", right_ink="#111111", meta="#9B9B9B"),
    ("chat", True): dict(bg="#111111", bar="#1E1E1E", left="#2C2C2C", right="#3EB575",
                         ink="#D5D5D5", right_ink="#0D0D0D", meta="#7A7A7A"),
    ("sms", False): dict(bg="#FFFFFF", bar="#F6F6F6", left="#E9E9EB", right="#0B84FE",
                         ink="#000000", right_ink="#FFFFFF", meta="#8E8E93"),
    ("sms", True): dict(bg="#000000", bar="#1C1C1E", left="#262628", right="#0B84FE",
                        ink="#FFFFFF", right_ink="#FFFFFF", meta="#8E8E93"),
}  # fmt: skip


def screenshot(seed: int, size: tuple[int, int] | None = None, *, kind: str | None = None,
               dark: bool | None = None, lang: str | None = None,
               messages: list[str] | None = None) -> Screenshot:  # fmt: skip
    """Draw one screenshot; unset choices are drawn from the seed.

    ``messages`` draws exactly these bubbles (no timestamps) instead of random ones.
    """
    todo = list(messages) if messages is not None else None
    rng = random.Random(seed)
    width, height = size or rng.choice(SIZES)
    kind = kind or rng.choice(["chat", "sms"])
    dark = rng.random() < 0.5 if dark is None else dark
    theme = _THEMES[(kind, dark)]
    s = width / 1080
    shot = Screenshot(seed, kind, dark, Image.new("RGB", (width, height), theme["bg"]))
    draw = ImageDraw.Draw(shot.image)

    def put(x: float, y: float, text: str, px: int, fill: str) -> None:
        shot.lines.append(TrueLine(text, _draw_text(draw, (x, y), text, px, fill)))

    # Status bar and title bar.
    meta_px, body_px = round(34 * s), round(46 * s)
    draw.rectangle((0, 0, width, round(230 * s)), fill=theme["bar"])
    put(40 * s, 24 * s, f"{rng.randint(7, 23)}:{rng.randint(0, 59):02d}", meta_px, theme["ink"])
    put(width - 140 * s, 24 * s, f"{rng.randint(5, 99)}%", meta_px, theme["ink"])
    title = rng.choice([*_ORGS, rng.choice(_SURNAMES) + rng.choice(_GIVEN), "95577"])
    title = title if kind == "chat" else rng.choice(["95577", "106902", _phone(rng)])
    title_px = round(44 * s)
    put((width - _width(title, title_px)) / 2, 120 * s, title, title_px, theme["ink"])

    y = 270 * s
    bottom = height - 180 * s
    draw.rectangle((0, round(bottom), width, height), fill=theme["bar"])
    while todo is None or todo:
        if todo is None and rng.random() < 0.25:  # a centred timestamp
            stamp = rng.choice(["今天", "昨天", "Yesterday", "星期三", "2025年3月9日"])
            stamp += f" {rng.randint(0, 23)}:{rng.randint(0, 59):02d}"
            if y + 60 * s > bottom:
                break
            put((width - _width(stamp, meta_px)) / 2, y, stamp, meta_px, theme["meta"])
            y += 80 * s
            continue
        msg_lang = lang or rng.choice(["zh", "zh", "en", "mix"])
        values: list[tuple[str, str]] = []
        text = todo.pop(0) if todo is not None else _message(rng, values, msg_lang)
        wrapped = _wrap(text, body_px, 620 * s)
        line_h = body_px * 1.45
        pad = 30 * s
        box_h = line_h * len(wrapped) + 2 * pad - (line_h - body_px * 1.2)
        if y + box_h > bottom:
            break
        shot.values.extend(values)
        mine = rng.random() < 0.35
        text_w = max(_width(line, body_px) for line in wrapped)
        avatar = 100 * s if kind == "chat" else 0
        x0 = (width - 30 * s - avatar - 20 * s - text_w - 2 * pad) if mine else 30 * s + avatar
        x0 += 0 if mine else (20 * s if avatar else 0)
        if avatar:
            ax = width - 30 * s - avatar if mine else 30 * s
            draw.rectangle(
                (ax, y, ax + avatar, y + avatar), fill=rng.choice(["#6A8CAF", "#C78B5A", "#7FA36B"])
            )
        radius = round(12 * s if kind == "chat" else 40 * s)
        draw.rounded_rectangle((x0, y, x0 + text_w + 2 * pad, y + box_h), radius,
                               fill=theme["right" if mine else "left"])  # fmt: skip
        for i, line in enumerate(wrapped):
            put(
                x0 + pad, y + pad + i * line_h, line, body_px, theme["right_ink" if mine else "ink"]
            )
        y += box_h + 40 * s
    return shot


def corpus(count: int, *, start: int = 0) -> list[Screenshot]:
    """``count`` screenshots cycling through every size, kind and mode."""
    shots = []
    for i in range(count):
        size = SIZES[i % len(SIZES)]
        kind = ("chat", "sms")[(i // len(SIZES)) % 2]
        dark = bool((i // (2 * len(SIZES))) % 2)
        shots.append(screenshot(start + i, size, kind=kind, dark=dark))
    return shots


# ---- scoring -------------------------------------------------------------------------

CLASSES = {
    "zh": lambda ch: "\u4e00" <= ch <= "\u9fff",
    "digits": str.isdigit,
    "all": lambda ch: not ch.isspace(),
}


def reading_order(lines: list[tuple[str, tuple[int, int, int, int]]]) -> str:
    """Join (text, box) lines top to bottom, left to right within a row."""
    if not lines:
        return ""
    heights = sorted(box[3] - box[1] for _, box in lines)
    band = max(1, heights[len(heights) // 2] // 2)
    key = lambda item: ((item[1][1] + item[1][3]) // 2 // band, item[1][0])  # noqa: E731
    return "\n".join(text for text, _ in sorted(lines, key=key))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def errors(truth: str, read: str) -> dict[str, tuple[int, int]]:
    """Per character class: (edit distance, true length) over that class's characters.

    Both texts are NFKC-folded first (a full-width ，read as a half-width , is not an
    error), and each class compares only its own characters in reading order, so the
    digit score counts a 7 read as 1 but not a stray space.
    """
    truth = unicodedata.normalize("NFKC", truth)
    read = unicodedata.normalize("NFKC", read)
    out = {}
    for name, keep in CLASSES.items():
        t = "".join(ch for ch in truth if keep(ch))
        r = "".join(ch for ch in read if keep(ch))
        out[name] = (edit_distance(t, r), len(t))
    return out
