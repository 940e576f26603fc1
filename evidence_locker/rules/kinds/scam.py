"""Signs of a fake collector that public guides name.

A sender that is not an official number of the organisation it claims (only when the
user listed that organisation's numbers), links, short links, links to a look-alike of
the organisation's web site, demands to pay into a personal account or a named
person's bank card ("指定账户：张三 6228…"), and payment methods scammers prefer (gift
cards, wire transfers, cryptocurrency: the FTC's red flags). The records that show any
sign are found once per run; each scam rule (one per rule set) keeps the signs its
``checks`` ask for.
"""

from __future__ import annotations

import re
from functools import lru_cache
from operator import attrgetter

from evidence_locker.rules.context import Context, group_phrases
from evidence_locker.rules.finding import Hit
from evidence_locker.rules.kinds.base import Maker, both, day_in_force, templates
from evidence_locker.rules.kinds.phrases import counted, summarise
from evidence_locker.rules.prepare import Item, Prepared
from evidence_locker.rules.ruleset import Rule
from evidence_locker.rules.text import LINK_HINT, link_host, normalise

SEVERITY = {
    "unofficial_sender": "medium",
    "links": "low",
    "short_links": "medium",
    "lookalike_link": "high",
    "personal_account": "high",
    "personal_payee": "high",
    "unusual_payment": "high",
}
SCORE = {
    "unofficial_sender": 2.0,
    "links": 1.0,
    "short_links": 2.0,
    "lookalike_link": 3.0,
    "personal_account": 3.0,
    "personal_payee": 3.0,
    "unusual_payment": 3.0,
}
_RANK = {"low": 1, "medium": 2, "high": 3}

# A payee named as a person (2-4 Han characters, or two Latin names) after a payee
# label, with a bank card or account number (12+ digits) in the same message.
_PAYEE_LABELS = re.compile("户名|收款|账户|持卡人|account name|payee|beneficiary")
_PAYEE = re.compile(
    r"(?:收款人|收款户名|收款账户|指定账户|账户名|开户名|户名|持卡人)\s*[:：]?\s*"
    r"([\u4e00-\u9fff]{2,4})(?![\u4e00-\u9fff])"
    r"|(?:account name|payee|beneficiary)\s*:?\s*([a-z]+ [a-z]+)\b"
)
_CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){11,18}(?!\d)")
# What any link (``text.LINK_HINT``) or a payee label needs: one search spares most
# messages both tests.
_MAY_SHOW = re.compile(f"{LINK_HINT}|{_PAYEE_LABELS.pattern}")
_NOT_A_PERSON = ("公司", "银行", "集团", "中心", "有限", "机构", "分行", "支行")
_place = attrgetter("n")
_NONE: dict[str, list[int]] = {}


def _first_place(x: tuple) -> int:
    return x[0].n


def _payee(text: str) -> str | None:
    if _PAYEE_LABELS.search(text) is None or not _CARD.search(text):
        return None
    for m in _PAYEE.finditer(text):
        name = m.group(1) or m.group(2)
        if name and not any(w in name for w in _NOT_A_PERSON):
            return name
    return None


@lru_cache(maxsize=8192)
def _sign_text(kind: str, params: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """One sign's words in en and zh; signs repeat (same sender, same link) across records."""
    return both(f"rules.scam.{kind}", **dict(params))


class _Signs:
    """Every sign a record shows, for any scam rule of the run (found once)."""

    __slots__ = ("account", "links", "lookalike", "payee", "payment", "unofficial")

    def __init__(
        self,
        unofficial: bool,
        links: list[str],
        lookalike: tuple[str, str] | None,
        account: list[str],
        payee: str | None,
        payment: list[str],
    ) -> None:
        self.unofficial = unofficial
        self.links = links
        self.lookalike = lookalike  # (link, official domain)
        self.account = account
        self.payee = payee
        self.payment = payment


def _phrase_sets(rule: Rule) -> tuple[frozenset[str], frozenset[str]]:
    """A scam rule's normalised phrases of personal accounts and of unusual payments."""
    p = rule.params
    account = group_phrases(rule.groups[g] for g in p["account_groups"]) | frozenset(
        normalise(x) for x in p["personal_account_phrases"]
    )
    return account, group_phrases(rule.groups[g] for g in p["payment_groups"])


# A contact with typed text that may show a sign (see ``_typed_signs``): the item, its
# normalised text and phrase hits, its links (less the organisation's own), a look-alike
# link and the official domain it imitates, and a personal payee.
_Typed = tuple[Item, str, dict[str, list[int]], list[str], tuple[str, str] | None, str | None]


def _typed_signs(prep: Prepared, ctx: Context) -> list[_Typed]:
    """The contacts with typed text (in time order) that show a link or a personal
    payee, or a phrase some scam rule of the run looks for: what no rule's settings
    change is found once per run, however many scam rules there are."""
    got = ctx.cache.get("scam_typed")
    if got is not None:
        return got
    wanted: frozenset[str] = frozenset()
    for rule in ctx.rules:
        if rule.kind == "scam_signs":
            account, payment = _phrase_sets(rule)
            wanted |= account | payment
    official = ctx.official
    got = ctx.cache["scam_typed"] = []
    for it, text, occ in prep.scanned(ctx.matcher):
        rec = it.rec
        if not (rec.content or rec.subject):
            continue
        if _MAY_SHOW.search(text) is None:  # no link, no payee (most messages)
            if occ and not wanted.isdisjoint(occ):
                got.append((it, text, occ, [], None, None))
            continue
        links: list[str] = []
        lookalike = None
        if "." in text:
            links = it.links()
            entry = official.for_key(it.org) if official is not None and it.org else None
            if links and entry is not None:
                links = [x for x in links if not entry.owns_host(link_host(x))]
                for x in links:
                    domain = entry.imitated_by(link_host(x))
                    if domain:
                        lookalike = (x, domain)
                        break
        payee = _payee(text)
        if links or payee or (occ and not wanted.isdisjoint(occ)):
            got.append((it, text, occ, links, lookalike, payee))
    return got


def _candidates(rule: Rule, prep: Prepared, ctx: Context) -> list[tuple[Item, _Signs]]:
    p = rule.params
    account, payment = _phrase_sets(rule)
    key = ("scam", p["channels"], p["directions"], account, payment)
    got = ctx.cache.get(key)
    if got is not None:
        return got
    wanted = account | payment
    chans, dirs = p["channels"], p["directions"]
    unofficial = _unofficial(prep.select(chans, dirs, None), prep, ctx)
    typed = [x for x in _typed_signs(prep, ctx) if x[0].channel in chans and x[0].direction in dirs]
    if unofficial:
        # Unofficial senders with typed text but no other sign, in their place in time.
        shown = {x[0] for x in typed}
        for it in unofficial:
            rec = it.rec
            if it not in shown and (rec.content or rec.subject):
                typed.append((it, "", _NONE, [], None, None))
        typed.sort(key=_first_place)
    got = []
    for it, text, occ, links, lookalike, payee in typed:
        account_found: list[str] = []
        payment_found: list[str] = []
        if occ and not wanted.isdisjoint(occ):
            summary = summarise(text, occ, wanted, {})
            account_found = sorted(counted(summary, account, frozenset()))
            payment_found = sorted(counted(summary, payment, frozenset()))
        sender = it in unofficial
        if sender:
            unofficial.discard(it)
        if sender or links or account_found or payee or payment_found:
            signs = _Signs(sender, links, lookalike, account_found, payee, payment_found)
            got.append((it, signs))
    alone = sorted(unofficial, key=_place)  # unofficial senders without text, in time order
    got.extend((it, _Signs(True, [], None, [], None, [])) for it in alone)
    ctx.cache[key] = got
    return got


def _unofficial(items: list[Item], prep: Prepared, ctx: Context) -> set[Item]:
    """The contacts of ``items`` from a sender that is not an official number (or
    e-mail domain) of the organisation they name, when the user listed its numbers."""
    official = ctx.official
    out: set[Item] = set()
    if official is None:
        return out
    senders: dict[tuple[str, str], bool] = ctx.cache.setdefault("senders", {})
    # Few organisations have listed numbers: pick their contacts in one comprehension
    # rather than asking for each of 100k contacts.
    listed = {k for k in prep.names if official.for_key(k) is not None}
    for it in [it for it in items if it.org in listed and it.address]:
        org, address = it.org, it.address
        ok = senders.get((org, address))
        if ok is None:
            entry = official.for_key(org)
            assert entry is not None
            judged = entry.email_domains if "@" in address else entry.numbers
            ok = senders[(org, address)] = not judged or entry.is_official(address)
        if not ok:
            out.add(it)
    return out


def check_scam_signs(rule: Rule, prep: Prepared, ctx: Context) -> list[Hit]:
    p = rule.params
    checks = p["checks"]
    short = set(p["short_domains"])
    make = Maker(rule, prep)
    tpl_en, tpl_zh = templates("rules.reason.scam")
    verdicts: dict[tuple, tuple[str, str, str, float]] = ctx.cache.setdefault("scam_verdicts", {})
    hits: list[Hit] = []
    for it, s in _candidates(rule, prep, ctx):
        signs: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        if s.unofficial and "unofficial_sender" in checks:
            rec = it.rec
            org = rec.organisation or prep.name(it.org) or ""
            signs.append(("unofficial_sender", (("address", rec.address or ""), ("org", org))))
        if s.lookalike and "lookalike_link" in checks:
            signs.append(("lookalike_link", (("link", s.lookalike[0]), ("domain", s.lookalike[1]))))
        elif s.links:
            shorts = [x for x in s.links if link_host(x) in short]
            if shorts and "short_links" in checks:
                signs.append(("short_links", (("link", shorts[0]),)))
            elif "links" in checks:
                signs.append(("links", (("link", s.links[0]),)))
        if s.account and "personal_account" in checks:
            signs.append(("personal_account", (("phrases", ", ".join(s.account)),)))
        if s.payee and "personal_payee" in checks:
            signs.append(("personal_payee", (("payee", s.payee),)))
        if s.payment and "unusual_payment" in checks:
            signs.append(("unusual_payment", (("phrases", ", ".join(s.payment)),)))
        if not signs:
            continue
        if not day_in_force(rule, it.day):
            ctx.notes.skip_not_in_force(rule, (it,))
            continue
        key = tuple(signs)
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = verdicts[key] = _verdict(signs, tpl_en, tpl_zh)
        en, zh, severity, score = verdict
        hits.append(make.one(it, en, zh, severity=severity, score=score))
    return hits


def _verdict(
    signs: list[tuple[str, tuple[tuple[str, str], ...]]], tpl_en: str, tpl_zh: str
) -> tuple[str, str, str, float]:
    """Reasons, severity and score for one combination of signs: the worst sign sets
    the severity (a lone link is low; a personal payee is high)."""
    en_parts, zh_parts = [], []
    sev, score = "low", 0.0
    for kind, params in signs:
        en, zh = _sign_text(kind, params)
        en_parts.append(en)
        zh_parts.append(zh)
        if _RANK[SEVERITY[kind]] > _RANK[sev]:
            sev = SEVERITY[kind]
        score += SCORE[kind]
    return (
        tpl_en.format(signs="; ".join(en_parts)),
        tpl_zh.format(signs="；".join(zh_parts)),
        sev,
        score,
    )
