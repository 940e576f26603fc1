"""Letters read back: every count, date, quote and E-number matches the locker; bad
input gets one clear line and the right exit code (docs/letters.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evidence_locker.letters.numbering import exhibit_numbers
from evidence_locker.model import RecordFilter

from .letter_fixtures import (
    BANK,
    COLLECTOR,
    SH,
    THREAT,
    cn_drafts,
    collector_contacts,
    e_numbers,
    flat,
    fonts_embedded,
    local,
    make_locker,
    open_locker,
    pdf_text,
)


@pytest.fixture(scope="module")
def cn_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("cn")
    make_locker(base / "locker", cn_drafts(), base / "state")
    return base / "locker"


@pytest.fixture
def cn(cli, cn_dir: Path):  # type: ignore[no-untyped-def]
    """The CLI on the shared Chinese locker (read only)."""
    return lambda *args, **kw: cli(*args, env={"EVIDENCE_LOCKER_DIR": str(cn_dir)}, **kw)


@pytest.fixture(scope="module")
def truth(cn_dir: Path) -> dict:  # type: ignore[type-arg]
    """What the locker says, computed here without the letters code."""
    locker = open_locker(cn_dir)
    with locker:
        records = locker.records()
        versions = locker.records(RecordFilter(organisation=COLLECTOR, all_versions=True))
    contacts = collector_contacts(records, COLLECTOR)
    night = [r for r in contacts if local(r, SH).hour >= 22 or local(r, SH).hour < 8]
    return {
        "contacts": contacts,
        "night": night,
        "numbers": exhibit_numbers(versions),
        "threat": next(r for r in contacts if r.content == THREAT),
        "third": next(r for r in contacts if r.third_party),
    }


def _sentence(text: str, marker: str) -> str:
    """The item of the letter (whitespace removed) that holds ``marker``: from its
    bullet, or the sentence before, to the next bullet or quote."""
    body = flat(text)
    i = body.index(marker)
    start = max(body.rfind("。", 0, i), body.rfind("•", 0, i)) + 1
    ends = [j for j in (body.find("•", i), body.find("二、", i)) if j > 0]
    return body[start : min(ends) if ends else len(body)]


def test_cease_letter_zh_states_the_lockers_facts(cn, truth, tmp_path: Path):  # type: ignore[no-untyped-def]
    out = tmp_path / "cease.pdf"
    r = cn("--lang", "zh", "letter", "cease", "--org", COLLECTOR, "--name", "张三",
           "--address", "上海市某路1号", "-o", str(out))  # fmt: skip
    assert r.code == 0, r.err
    text = pdf_text(out)
    fonts = fonts_embedded(out)
    assert any("DroidSans" in f for f in fonts) and any("DejaVu" in f for f in fonts)
    nums = truth["numbers"]
    night = truth["night"]
    days = sorted(local(x, SH).date().isoformat() for x in night)
    sentence = _sentence(text, "22:00至次日08:00之间联系")
    assert f"（共{len(night)}次）" in sentence
    assert days[0] in sentence and days[-1] in sentence
    assert e_numbers(sentence) == {nums[x.record_id] for x in night}
    contacts = truth["contacts"]
    overview = _sentence(text, "据本人记录")
    assert f"（共{len(contacts)}次）" in overview
    threat = truth["threat"]
    assert f"{nums[threat.record_id]}·" in flat(text)
    assert f"“{THREAT}”" in flat(text)
    assert f"{nums[truth['third'].record_id]}" in _sentence(text, "联系了他人")
    # every E-number in the letter is one of this organisation's records
    assert e_numbers(text) <= set(nums.values())
    assert BANK not in text
    assert "不构成法律意见" in flat(text) and "12348" in text
    assert "请勿在22:00至次日08:00之间" in flat(text)
    # each source the findings cite once, with the kinds of problem it is cited for
    assert flat(text).count("金融机构个人消费类贷款催收工作指引") == 1
    assert flat(text).count("GB/T45251-2025") == 1
    assert "第1页，共1页" in flat(text) or "第1页，共2页" in flat(text)


def test_complaint_12378_has_the_fields_of_article_13(cn, truth):  # type: ignore[no-untyped-def]
    r = cn("--lang", "zh", "letter", "complaint-12378", "--org", COLLECTOR, "--name", "张三",
           "--phone", "13900000000", "--id-number", "310000199001010000",
           "--request", "请责令其停止夜间催收和联系我的家人。", "--text")  # fmt: skip
    assert r.code == 0, r.err
    out = r.out
    for heading in (
        "一、投诉人基本情况",
        "二、被投诉人基本情况",
        "三、投诉请求",
        "四、主要事实",
        "五、相关依据",
    ):
        assert heading in out
    assert "姓名" not in out or "张三" in out
    assert "13900000000" in out and "310000199001010000" in out
    assert "被投诉机构：某催收公司" in out
    assert "王经理 工号1024" in out  # the staff member, from the records
    assert "请责令其停止夜间催收和联系我的家人。" in out
    assert "第十三条" in out
    assert "投诉人（签字）：张三" in out
    assert "不构成法律意见" in r.err  # the text for a form: the notice goes to stderr


def test_english_letter_from_the_same_locker(cn, truth, tmp_path: Path):  # type: ignore[no-untyped-def]
    out = tmp_path / "pipl.pdf"
    r = cn("letter", "pipl", "--org", COLLECTOR, "--name", "Zhang San", "--letter-lang", "en",
           "-o", str(out))  # fmt: skip
    assert r.code == 0, r.err
    text = pdf_text(out)
    night = truth["night"]
    m = re.search(r"Contacts between 22:00 and 08:00 local time.*?Records: ([E\-\d, ]+)\.",
                  " ".join(text.split()))  # fmt: skip
    assert m, text
    assert f"({len(night)} in all)" in m.group(0)
    assert {x.strip() for x in m.group(1).split(",")} == {
        truth["numbers"][x.record_id] for x in night
    }
    assert "Personal Information Protection Law" in text and "not legal advice" in text
    for art in ("44", "45", "46", "47"):  # each right asked for, each article stated
        assert f"(art. {art})" in text and f"rt. {art}:" in " ".join(text.split())
    assert "12348" in text
    assert THREAT in flat(text)  # a Chinese quote inside an English letter, extractable


def test_report_12321_keeps_each_sms_exactly(cn, truth):  # type: ignore[no-untyped-def]
    r = cn("--lang", "zh", "letter", "report-12321", "--org", COLLECTOR, "--phone", "13900000000",
           "--text")  # fmt: skip
    assert r.code == 0, r.err
    assert f"    {THREAT}\n" in r.out
    assert "被举报号码：10690000" in r.out
    assert "通话时长：2分钟" in r.out


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["complaint-12378", "--org", COLLECTOR, "--name", "张三", "--request", "x"], 2, "--phone"),
        (["cease", "--org", "没有这家公司", "--name", "张三"], 2, "没有这家公司"),
        (["complaint-12378", "--org", BANK, "--name", "张三", "--phone", "1", "--request", "x"],
         1, BANK),
        (["cease", "--org", COLLECTOR, "--name", "张三", "--since", "2030-01-01"], 2,
         "never written from nothing"),
        (["complaint-12378", "--name", "张三", "--phone", "1", "--request", "x"], 2, "--org"),
        (["nonsense"], 2, "nonsense"),
        (["cease", "--org", COLLECTOR, "--name", "x", "--region", "xx"], 2, "xx"),
        (["cfpb", "--org", COLLECTOR, "--region", "cn"], 2, "cfpb"),
        (["cease", "--org", COLLECTOR, "--name", "x", "--dossier", "/nonexistent/d.pdf"], 1,
         "/nonexistent/d.pdf"),
        (["cease", "--org", COLLECTOR, "--details", "/nonexistent/me.toml"], 1, "me.toml"),
        (["cease", "--org", COLLECTOR, "--name", "x", "--letter-lang", "fr"], 2, "--letter-lang"),
        (["cease", "--org", COLLECTOR, "--name", "x", "-o", __file__], 2, "--force"),
        (["cease", "--org", COLLECTOR, "--name", "x", "--breathing-space", "2026-03-01"], 2,
         "--breathing-space"),
    ],
)  # fmt: skip
def test_bad_input_is_one_clear_line(cn, args, code, says):  # type: ignore[no-untyped-def]
    r = cn("letter", *args, "--text")
    assert r.code == code, (r.out, r.err)
    assert says in r.err
    assert "Traceback" not in r.err
    assert r.out == ""
    assert len([ln for ln in r.err.splitlines() if ln.startswith("evidence-locker")]) <= 1


def test_details_template_file(cn, tmp_path: Path):  # type: ignore[no-untyped-def]
    good = tmp_path / "me.toml"
    good.write_text('name = "李四"\nphone = "13700000000"\nrequest = """停止骚扰"""\n', "utf-8")
    r = cn("--lang", "zh", "letter", "complaint-12378", "--org", COLLECTOR, "--details", str(good),
           "--text")  # fmt: skip
    assert r.code == 0, r.err
    assert "李四" in r.out and "13700000000" in r.out and "停止骚扰" in r.out
    # an option wins over the file
    r = cn("letter", "complaint-12378", "--org", COLLECTOR, "--details", str(good),
           "--name", "王五", "--text")  # fmt: skip
    assert "王五" in r.out and "李四" not in r.out
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nadress = "typo"\n', "utf-8")
    r = cn("letter", "cease", "--org", COLLECTOR, "--details", str(bad), "--text")
    assert r.code == 2 and "adress" in r.err and str(bad) in r.err
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "unterminated\n', "utf-8")
    r = cn("letter", "cease", "--org", COLLECTOR, "--details", str(broken), "--text")
    assert r.code == 2 and str(broken) in r.err and "line 1" in r.err


def test_every_missing_field_is_named_at_once(cn):  # type: ignore[no-untyped-def]
    """A command run from a script names all it lacks in one message, so one fix does."""
    r = cn("letter", "complaint-12378", "--org", COLLECTOR, "--text")
    assert r.code == 2 and r.out == ""
    assert "--name" in r.err and "--phone" in r.err and "--request" in r.err


def test_letter_list_in_both_languages(cn):  # type: ignore[no-untyped-def]
    r = cn("letter", "list", "--json")
    kinds = {(k["region"], k["kind"]) for k in json.loads(r.out)}
    assert {("cn", "complaint-12378"), ("cn", "report-12321"), ("cn", "cease"), ("cn", "pipl"),
            ("us", "cease"), ("us", "dispute"), ("us", "cfpb"), ("uk", "cca-request"),
            ("uk", "complaint"), ("uk", "contact-log")} <= kinds  # fmt: skip
    zh = cn("--lang", "zh", "letter", "list", "--region", "cn")
    assert zh.code == 0 and "个人信息" in zh.out and "us" not in zh.out.split()
    en = cn("letter", "list")
    assert "Breathing" in en.out and "1692c(c)" in en.out


PERSONAL = {
    "--name": "隐私测试张三丰",
    "--phone": "13912345678",
    "--id-number": "110101199003071234",
    "--address": "秘密路99号Quillfeather Lane",
    "--request": "请停止骚扰 Zanzibar request",
}


def test_personal_details_are_never_stored_in_clear(cli, tmp_path: Path, state_dir: Path):  # type: ignore[no-untyped-def]
    """What only the user knows goes into the letter file and nowhere else: not into
    the locker's files or the state directory, nor the PDF's description or author."""
    from pypdf import PdfReader

    from evidence_locker.letters.pdf import read_meta

    from .test_at_rest import encodings

    path = tmp_path / "private"
    make_locker(path, cn_drafts(), state_dir)
    env = {"EVIDENCE_LOCKER_DIR": str(path)}
    out = tmp_path / "complaint.pdf"
    args = [x for kv in PERSONAL.items() for x in kv]
    r = cli("letter", "complaint-12378", "--org", COLLECTOR, *args, "-o", str(out), env=env)
    assert r.code == 0, r.err
    assert PERSONAL["--phone"] in pdf_text(out)  # the letter itself holds them, as asked
    assert cli("letter", "sent", str(out), "--via", "post", env=env).code == 0
    meta = json.dumps(read_meta(out.read_bytes()), ensure_ascii=False)
    assert PdfReader(out).metadata["/Author"] == "evidence-locker"
    for value in PERSONAL.values():
        assert value not in meta
        for directory in (path, state_dir):
            for file in (p for p in directory.rglob("*") if p.is_file()):
                data = file.read_bytes()
                for piece in (value, *value.split()):
                    if len(piece) >= 4:
                        assert not any(n in data for n in encodings(piece)), (piece, file)


def test_missing_fields_are_asked_for_at_a_terminal(tmp_path: Path, state_dir: Path) -> None:
    from .conftest import PASSPHRASE
    from .test_terminal import Terminal, env_for

    env = env_for(tmp_path)
    env["EVIDENCE_LOCKER_STATE_DIR"] = str(state_dir)
    make_locker(Path(env["EVIDENCE_LOCKER_DIR"]), cn_drafts(), state_dir)
    term = Terminal(["letter", "complaint-12378", "--org", COLLECTOR, "--text"], env)
    term.expect("Your name (for the letter only; not stored)")
    term.send("张三")
    term.expect("Your phone number")
    term.send("13900000000")
    term.expect("What you ask for")
    term.send("停止夜间催收")
    term.expect("Passphrase:")
    term.send(PASSPHRASE)
    assert term.finish() == 0, term.seen
    assert "投诉人（签字）：张三" in term.seen or "Complainant (signature): 张三" in term.seen
    assert "13900000000" in term.seen and "停止夜间催收" in term.seen


def test_every_kind_states_only_dates_and_numbers_of_the_records(cn_dir: Path) -> None:
    """Each kind, drafted from the same records: every E-number it prints is one of the
    organisation's, and every date is a record's day, today, or in a cited source's
    name. A kind that needs findings the rules did not make is refused, never padded."""
    from datetime import UTC, datetime

    from evidence_locker.errors import LockerError
    from evidence_locker.letters import KINDS, Request, draft_letter
    from evidence_locker.locale.messages import catalog, t
    from evidence_locker.rules import resolve_rule_sets

    def dates(text: str) -> set[str]:
        return set(re.findall(r"\d{4}-\d\d-\d\d", text))

    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    fields = {"name": "张三", "address": "上海", "phone": "139", "account": "A-1", "request": "停"}
    with open_locker(cn_dir) as locker:
        versions = locker.records(RecordFilter(organisation=COLLECTOR, all_versions=True))
        numbers = set(exhibit_numbers(versions).values())
        days = {local(v, SH).date().isoformat() for v in versions} | {"2026-11-20"}
        fixed = [t(k, lang) for k in catalog() if k.startswith("letters.") for lang in ("en", "zh")]
        drafted = 0
        for kind in KINDS:
            sets = resolve_rule_sets([kind.region])
            cited = [r.citation(x) for rs in sets for r in rs.rules for x in ("en", "zh")]
            named = dates(" ".join(cited + fixed))  # dates in a source's name or in-force day
            flt = RecordFilter(organisation=COLLECTOR)
            for lang in ("zh", "en"):
                try:
                    letter = draft_letter(
                        locker, Request(kind, flt, fields, lang, now), rule_sets=sets, tz=SH
                    )
                except LockerError as exc:
                    assert kind.needs_findings and exc.key == "letters.no_findings", kind
                    continue
                text = letter.text()
                assert e_numbers(text) <= numbers, (kind, lang)
                assert dates(text) <= days | named, (kind, lang)
                assert COLLECTOR in text or kind.id == "contact-log"
                drafted += 1
    assert drafted >= 16  # all ten kinds in both languages, but for what found nothing


def test_one_page_and_one_record_are_singular(ready, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Review 7, item 15: "1 pages", "Cites 1 records"; and the command to log the
    letter once sent is whole on its own line at 80 columns (copied into a shell)."""
    from pypdf import PdfReader

    r = ready("log", "call", "--org", COLLECTOR, "--number", "13800138000", "--at",
              "2025-02-09 23:30", "--direction", "incoming", "--content", THREAT)  # fmt: skip
    assert r.code == 0, r.err
    out = tmp_path / "my letters" / "cease.pdf"
    out.parent.mkdir()
    for lang, one_page, one_record in (
        ("en", "1 page)", "Cites 1 record;"),
        ("zh", "1 页", "1 条"),
    ):
        r = ready("--lang", lang, "letter", "cease", "--org", COLLECTOR, "--name", "张三",
                  "-o", str(out), "--force", env={"COLUMNS": "80"})  # fmt: skip
        assert r.code == 0, r.err
        assert len(PdfReader(str(out)).pages) == 1
        said = " ".join(r.out.split())
        assert one_page in said and one_record in said, r.out
        assert "pages" not in said and "records" not in said, r.out
        command = f"evidence-locker letter sent '{out}' --via post"
        assert any(line.strip().startswith(command) for line in r.out.splitlines()), r.out
