"""What every letter is made of: the facts in sentences, the legal basis, the annex.

A :class:`Composer` turns :class:`~evidence_locker.letters.facts.Facts` into blocks in
the letter's language. Each sentence states a count, dates and E-numbers taken from
the records; a quote is the record's own text (cut at a bound, with "…", never
reworded). ``Detail`` says how much room there is: a web form's limit is met by
quoting fewer records, not by saying something less exact.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from evidence_locker.letters.document import Block
from evidence_locker.letters.facts import Concern, Facts
from evidence_locker.letters.findings import Citation
from evidence_locker.locale.messages import catalog, t
from evidence_locker.model import Record
from evidence_locker.parsing.times import format_duration
from evidence_locker.report.fieldtext import format_occurred


@dataclass(frozen=True, slots=True)
class Detail:
    """How much a letter spells out: quotes shown, E-numbers listed, quote length."""

    quotes: int
    numbers: int
    quote_chars: int | None  # None: whole text, never cut (a 12321 report)


DETAILS = (
    Detail(8, 12, 300),
    Detail(5, 8, 200),
    Detail(3, 5, 140),
    Detail(1, 3, 100),
    Detail(0, 2, 80),
)
# Basis lines the kinds cite: (locale key, confidence as docs/letters.md gives it)
Basis = Sequence[tuple[str, str]]


def _minutes(value: Any) -> int:
    if isinstance(value, time):
        return value.hour * 60 + value.minute
    h, _, m = str(value).partition(":")
    return int(h) * 60 + int(m or 0)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def night_window(params: Iterable[dict[str, Any]]) -> tuple[str, str] | None:
    """The window every cited quiet-hours rule lies in: its earliest evening start and
    latest morning end (each flagged contact is inside one of them, so inside this)."""
    starts, ends = [], []
    for p in params:
        if "start" in p and "end" in p:
            starts.append(_minutes(p["start"]))
            ends.append(_minutes(p["end"]))
    if not starts:
        return None
    # an evening start is the smallest after noon; a start before noon stays as is
    evening = [s for s in starts if s >= 12 * 60] or starts
    return _clock(min(evening)), _clock(max(ends))


_WEAKNESS = {"V": 0, "S": 1, "U": 2}


def _weakness(confidence: str) -> int:
    """How weak a confidence mark is: ``S/U`` counts as its weakest part, U."""
    return max((_WEAKNESS.get(p.strip(), 2) for p in confidence.split("/") if p.strip()), default=0)


def cited_sources(
    cites: Iterable[tuple[Citation, str]],
    stated: Sequence[str],
    sep: tuple[str, str] = (", ", "; "),
) -> list[tuple[str, str]]:
    """The public texts the findings cite, each once: the parts of one instrument (each
    ``(citation, part)``'s part) on one line, ``instrument, part; part``, with the
    weakest confidence among them. An instrument the letter's own basis already states,
    or one a longer citation of the same parts covers (``1692c(b)`` beside
    ``1692c(b), (d)``), is left out."""
    groups: dict[str, tuple[list[str], list[str]]] = {}
    for cite, part_text in cites:
        instrument = cite.instrument or cite.text
        if any(instrument.split(",")[0].strip() in s for s in stated):
            continue
        parts, marks = groups.setdefault(instrument, ([], []))
        for part in re.split(r"\s*[;；]\s*", part_text) if part_text else ():
            if part not in parts:
                parts.append(part)
        marks.append(cite.confidence)
    out = []
    for instrument, (parts, marks) in groups.items():
        covered = any(
            other != instrument and other.startswith(instrument) and set(parts) <= set(more)
            for other, (more, _) in groups.items()
        )
        if covered:
            continue
        text = instrument
        if parts:
            text += sep[0] + sep[1].join(p for p in parts if p)
        out.append((text, max(marks, key=_weakness)))
    return out


class Composer:
    def __init__(self, facts: Facts, lang: str, detail: Detail, generated_at: datetime):
        self.facts = facts
        self.lang = lang
        self.detail = detail
        self.generated_at = generated_at
        self.blocks: list[Block] = []
        self.cited: dict[str, None] = {}

    # -- words -------------------------------------------------------------------------

    def L(self, key: str, **params: object) -> str:
        return t(f"letters.{key}", self.lang, **params)

    def add(self, style: str, text: str) -> None:
        self.blocks.append(Block(style, text))

    def sep(self) -> str:
        return "、" if self.lang == "zh" else ", "

    def today(self) -> str:
        return self.generated_at.astimezone(self.facts.tz).date().isoformat()

    def day(self, rec: Record) -> str:
        if not rec.time_known:
            return rec.occurred_at.date().isoformat()
        return rec.occurred_at.astimezone(self.facts.tz).date().isoformat()

    def when(self, rec: Record) -> str:
        return format_occurred(rec.occurred_at, self.facts.tz, rec.time_known, self.lang)

    def channel(self, rec: Record) -> str:
        return self.L(f"channel.{rec.channel.value}")

    def duration(self, seconds: int) -> str:
        return format_duration(seconds, self.lang)

    def nos(self, records: Sequence[Record], limit: int | None = None) -> str:
        """``E-3, E-5 and 4 more``: the records' numbers, each noted as cited."""
        for r in records:
            self.cited.setdefault(r.record_id, None)
        shown = [self.facts.no(r) for r in records][: limit or self.detail.numbers]
        text = self.sep().join(shown)
        rest = len(records) - len(shown)
        return text + (self.L("and_more", n=rest) if rest > 0 else "")

    def counts(self, records: Sequence[Record]) -> str:
        """``30 calls, 7 SMS (37 in all)`` / ``电话30次、短信7条（共37次）``."""
        by = Counter(r.channel.value for r in records)
        parts = [self.L(f"n.{ch}" if n != 1 else f"n1.{ch}", n=n) for ch, n in by.most_common()]
        text = self.sep().join(parts)
        return text + self.L("in_all", n=len(records)) if len(by) > 1 else text

    def span(self, first: Record, last: Record) -> str:
        """``from 2025-02-01 to 2025-03-31``, or ``on 2025-02-01`` for one day."""
        a, b = self.day(first), self.day(last)
        return self.L("span_one", day=a) if a == b else self.L("span", first=a, last=b)

    def who(self) -> str:
        return self.facts.organisation or self.L("the_collector")

    def quote(self, rec: Record) -> str:
        text = (rec.content or rec.subject or "").strip()
        limit = self.detail.quote_chars
        if limit is not None and len(text) > limit:
            text = text[:limit].rstrip() + "…"
        return text

    # -- facts -------------------------------------------------------------------------

    def overview(self) -> None:
        contacts = self.facts.contacts
        if not contacts:
            return
        self.add(
            "para",
            self.L(
                "fact.overview",
                who=self.who(),
                span=self.span(contacts[0], contacts[-1]),
                channels=self.counts(contacts),
            ),
        )

    def concerns(self) -> None:
        """One paragraph (and its quotes) per kind of problem found, worst first."""
        for c in self.facts.concerns:
            getattr(self, f"_{c.kind}", self._other)(c)

    def _quiet_hours(self, c: Concern) -> None:
        window = night_window(c.params)
        recs = [r for r in c.records if r.time_known]
        if window is None or not recs:
            return self._other(c)
        self.add(
            "item",
            self.L(
                "fact.quiet_hours",
                channels=self.counts(recs),
                start=window[0],
                end=window[1],
                span=self.span(recs[0], recs[-1]),
                nos=self.nos(recs),
            ),
        )

    def _frequency(self, c: Concern) -> None:
        per_day = Counter(self.day(r) for r in c.records)
        days = sorted(per_day.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = days[: max(self.detail.numbers // 2, 1)]
        listed = self.sep().join(self.L("day_count", day=d, n=n) for d, n in shown)
        rest = len(days) - len(shown)
        self.add(
            "item",
            self.L("fact.frequency", days=len(days), n=len(c.records), listed=listed)
            + (self.L("and_more", n=rest) if rest > 0 else "")
            + self.L("records_are", nos=self.nos(c.records)),
        )

    def _after_event(self, c: Concern) -> None:
        steps = [r for r in c.records if r.event is not None]
        later = [r for r in c.records if r.event is None]
        if not later:
            return
        common = {
            "span": self.span(later[0], later[-1]),
            "nos": self.nos(later),
            "channels": self.counts(later),
        }
        if steps:
            step = steps[0]
            assert step.event is not None
            self.add(
                "item",
                self.L(
                    "fact.after_event",
                    event=self.L(f"event.{step.event.value}"),
                    step_day=self.day(step),
                    step_no=self.nos([step]),
                    **common,
                ),
            )
        else:
            self.add("item", self.L("fact.after_event_unnamed", **common))

    def _third_party(self, c: Concern) -> None:
        recs = list(c.records)
        self.add("item", self.L("fact.third_party", n=len(recs), nos=self.nos(recs)))
        for r in recs[: self.detail.quotes]:
            self.add(
                "quote",
                self.L(
                    "fact.third_party_one",
                    no=self.nos([r]),
                    when=self.when(r),
                    channel=self.channel(r),
                    who=r.third_party or "?",
                ),
            )

    def _phrases(self, c: Concern) -> None:
        recs = list(c.records)
        self.add("item", self.L("fact.phrases", n=len(recs), nos=self.nos(recs)))
        self.quotes(recs)

    def quotes(self, recs: Sequence[Record]) -> None:
        for r in recs[: self.detail.quotes]:
            text = self.quote(r)
            if text:
                self.add(
                    "quote",
                    self.L(
                        "quote_line",
                        no=self.nos([r]),
                        when=self.when(r),
                        channel=self.channel(r),
                        text=text,
                    ),
                )

    def _scam_signs(self, c: Concern) -> None:
        self.add("item", self.L("fact.scam_signs", n=len(c.records), nos=self.nos(c.records)))

    def _other(self, c: Concern) -> None:
        """A kind of finding this module has no sentence for (a rule set's new kind):
        its label and its records, nothing more."""
        self.add(
            "item", self.L("fact.other", kind=self.kind_label(c.kind), nos=self.nos(c.records))
        )

    def kind_label(self, kind: str) -> str:
        """A kind of problem in a few words: the letters' own, else the rules' label."""
        for key in (f"letters.kind.{kind}", f"rules.kind.{kind}"):
            if key in catalog():
                return t(key, self.lang)
        return kind

    # -- basis, annex, ending ----------------------------------------------------------

    def basis(self, own: Basis, *, findings: bool = True, heading: str | None = None) -> None:
        """The letter's own legal basis, then every public text the findings cite,
        each marked when it was not read in the primary text."""
        self.add("heading", self.L(heading or "basis"))
        marks: set[str] = set()
        stated = [self.L(key) for key, _ in own]
        for text, (_, confidence) in zip(stated, own, strict=True):
            self.add("item", text + self._mark(confidence, marks))
        if findings:
            for text, confidence in cited_sources(self._cites(), stated, self._seps()):
                self.add("item", text + self._mark(confidence, marks))
        if marks:
            self.add("note", self.L("basis_legend"))

    def _cites(self) -> list[tuple[Citation, str]]:
        """Each finding's citations with the part cited: the rule's article in the
        letter's language, else (a rule set naming its articles in English only) the
        kind of problem it is cited for."""
        out = []
        for c in self.facts.concerns:
            label = self.kind_label(c.kind)
            for cite in c.citations:
                out.append((cite, cite.article if cite.in_language else label))
        return out

    def _seps(self) -> tuple[str, str]:
        return ("：", "；") if self.lang == "zh" else (", ", "; ")

    @staticmethod
    def _mark(confidence: str, marks: set[str]) -> str:
        if confidence == "V" or not confidence:
            return ""
        marks.add(confidence)
        return f" [{confidence}]"

    def annex(self) -> None:
        d = self.facts.dossier
        if d is None:
            self.add("note", self.L("annex.none"))
        else:
            self.add("heading", self.L("annex.heading"))
            self.add("para", self.L("annex.dossier", id=d.id, fingerprint=d.fingerprint))

    def footer(self) -> str:
        return f"{self.L('disclaimer')} {self.L(f'help.{self.facts.region}')}"

    # -- letterhead and signature -----------------------------------------------------

    def letterhead(
        self, details: dict[str, str], recipient: str, subject: str, *, sender: bool = True
    ) -> None:
        """Subject, sender, date and recipient, in the order letters in both languages
        put them (a complaint form lists the sender in its own section instead)."""
        self.add("title", subject)
        for field in ("name", "address", "phone", "email") if sender else ():
            if details.get(field):
                self.add("meta", self.L(f"field.{field}", value=details[field]))
        self.add("meta", self.L("field.date", value=self.today()))
        self.add("meta", self.L("field.to", value=details.get("to") or recipient))
        if details.get("to_address"):
            self.add("meta", details["to_address"])
        account = details.get("account") or (self.facts.case.account if self.facts.case else None)
        if account:
            self.add("meta", self.L("field.account", value=account))

    def signature(self, details: dict[str, str]) -> None:
        self.add("sign", self.L(f"closing.{self.facts.region}", name=details.get("name", "")))

    def steps(self) -> None:
        """The user's own earlier steps (a letter sent, a dispute), with their numbers."""
        for step in self.facts.steps:
            assert step.event is not None
            self.add(
                "item",
                self.L(
                    "fact.step",
                    event=self.L(f"event.{step.event.value}"),
                    day=self.day(step),
                    no=self.nos([step]),
                ),
            )
