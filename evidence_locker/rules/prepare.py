"""Records prepared once for every rule: local clock, day, who the contact is from.

The engine turns each record into an ``Item``: its time on the debtor's clock (day,
seconds since local midnight), its outcome as the rules read it (a call with a
duration was answered), and three keys saying whose contact it is:

* ``org``: the organisation as logged (compared loosely), or, for a number logged
  without one, the organisation the same number was logged with elsewhere;
* ``inst``: the institution: the creditor of the record's case, or the creditor an
  agency works for (an organisation seen on a case's records), else ``org``. The
  national standard limits an institution *together with* its agencies;
* ``debt``: the case (US rules count per debt), else ``inst``.

Records are bucketed by channel, direction and outcome so each rule touches only the
records it can concern; nothing is quadratic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from operator import attrgetter, itemgetter

from evidence_locker.model import Case, Record
from evidence_locker.rules import screenshots
from evidence_locker.rules.instants import (
    DAY_US,
    EPOCH_ORDINAL,
    date_text,
    iso_text,
    time_order,
    time_text,
    wall_clock,
)
from evidence_locker.rules.numbers import org_key
from evidence_locker.rules.text import PhraseMatcher, common_characters, find_links, normalise

CONTENT = ("subject", "content")  # the fields phrase and scam rules read by default
UNKNOWN_ORG = ""  # the key of contacts whose organisation nobody logged
WRITTEN = frozenset({"letter", "email", "sms", "message"})
_NONE: dict[str, list[int]] = {}
# From this many distinct texts, a run scans them with a matcher tuned to the characters
# of about _TUNE_SAMPLE of them (a few milliseconds; PhraseMatcher.tuned).
_TUNE_FROM = 2000
_TUNE_SAMPLE = 1000


class Item:
    """A record with the figures every rule needs, computed once."""

    __slots__ = (
        "_date",
        "_hits",
        "_iso",
        "_links",
        "_local",
        "_more",
        "_text",
        "_time",
        "address",
        "channel",
        "day",
        "debt",
        "direction",
        "inst",
        "n",
        "off",
        "org",
        "outcome",
        "rec",
        "rid",
        "sod",
        "time_known",
        "us",
        "zone",
    )

    def __init__(
        self,
        rec: Record,
        n: int,
        us: int,
        wall: int,
        off: int,
        zone: tzinfo | None,
        orgs: Mapping[str | None, str],
    ) -> None:
        self.rec = rec
        self.rid = rec.record_id
        self.address = rec.address  # read in bulk (frequency, groups): kept at hand
        self.n = n  # its place in time order (notes list records in it)
        self.us = us  # microseconds since the epoch (instants.time_order)
        self.off = off  # the wall clock less the instant (µs): shared by many records
        # The wall clock on the debtor's zone (instants.wall_clock), as day ordinal and
        # seconds since local midnight: the figures rules compare.
        day, of_day = divmod(wall, DAY_US)
        self.day = day + EPOCH_ORDINAL
        seconds, micro = divmod(of_day, 1_000_000)
        self.sod = seconds + micro / 1e6
        self.zone = zone
        self.time_known = rec.time_known
        # The enums are StrEnums: they compare and hash as their values.
        self.channel = rec.channel
        self.direction = rec.direction
        outcome = rec.outcome
        if outcome is not None:
            self.outcome = outcome
        else:  # a call that lasted was answered, whatever the user left out
            self.outcome = "connected" if (rec.duration_s or 0) > 0 else "unknown"
        # Whose contact it is (Prepared refines these): the organisation's key.
        self.org = self.inst = self.debt = orgs[rec.organisation]
        self._local: datetime | None = None
        self._date: str | None = None
        self._time: str | None = None
        self._iso: str | None = None
        self._text: str | None = None
        self._hits: dict[str, list[int]] | None = None
        self._links: list[str] | None = None
        self._more: dict[tuple[str, ...], tuple[str, dict[str, list[int]] | None]] | None = None

    @property
    def local(self) -> datetime:
        """The record's time on the debtor's clock (on its own offset without a zone);
        made only for the records a finding shows."""
        got = self._local
        if got is None:
            occurred = self.rec.occurred_at
            zone = self.zone
            got = self._local = occurred.astimezone(zone) if zone is not None else occurred
        return got

    # Formatting and normalising are the costly parts of a finding; each record does
    # them at most once however many rules look at it, from the integers (instants.py).
    @property
    def date_s(self) -> str:
        d = self._date
        if d is None:
            d = self._date = date_text(self.day)
        return d

    @property
    def time_s(self) -> str:
        s = self._time
        if s is None:
            s = self._time = time_text(self.us + self.off) if self.time_known else ""
        return s

    @property
    def when_s(self) -> str:
        """``2025-02-09 22:47``, or the day alone when the time is unknown."""
        t = self.time_s
        return f"{self.date_s} {t}" if t else self.date_s

    @property
    def iso(self) -> str:
        s = self._iso
        if s is None:
            s = self._iso = iso_text(self.us + self.off, self.off)
        return s

    @property
    def written(self) -> bool:
        return self.channel in WRITTEN

    def text(self, fields: tuple[str, ...] = CONTENT) -> str:
        """The normalised text of ``fields``, computed once per record and field set."""
        if fields == CONTENT:
            got = self._text
            if got is None:
                raw = self.raw()
                got = self._text = normalise(raw) if raw else ""
            return got
        return self._other(fields, None)[0]

    def raw(self) -> str:
        """Subject and content as written, with text read from screenshots: what
        ``text()`` normalises."""
        rec = self.rec
        s, c = rec.subject, rec.content
        raw = f"{s} {c}" if s and c else (s or c or "")
        if rec.attachments:  # text read from its screenshots (rules/screenshots.py)
            raw = screenshots.with_read_text(raw, rec)
        return raw

    def hits(
        self, matcher: PhraseMatcher, fields: tuple[str, ...] = CONTENT
    ) -> dict[str, list[int]]:
        """Phrases of the run's one matcher in ``fields`` with their start positions,
        found once (read only)."""
        if fields == CONTENT:
            got = self._hits
            if got is None:
                text = self.text()
                got = self._hits = matcher.find_all(text) if text else _NONE
            return got
        found = self._other(fields, matcher)[1]
        assert found is not None
        return found

    def _other(
        self, fields: tuple[str, ...], matcher: PhraseMatcher | None
    ) -> tuple[str, dict[str, list[int]] | None]:
        """Text and hits for a field set other than subject + content (rare)."""
        more = self._more
        if more is None:
            more = self._more = {}
        got = more.get(fields)
        if got is None:
            rec = self.rec
            parts = [x for x in (getattr(rec, f) for f in fields) if x]
            if not rec.attachments and parts == [x for x in (rec.subject, rec.content) if x]:
                # The other fields are empty (most records): the words of subject and
                # content, normalised and scanned once.
                got = more[fields] = (self.text(), None)
            else:
                got = more[fields] = (normalise(" ".join(parts)), None)
        if matcher is not None and got[1] is None:
            text = got[0]
            if text is self._text:
                hits = self.hits(matcher)
            else:
                hits = matcher.find_all(text) if text else _NONE
            got = more[fields] = (text, hits)
        return got

    def links(self) -> list[str]:
        got = self._links
        if got is None:
            got = self._links = find_links(self.text())
        return got


_organisation = attrgetter("organisation")
_KEY_ATTR = {
    "institution": attrgetter("inst"),
    "debt": attrgetter("debt"),
    "organisation": attrgetter("org"),
}


class Prepared:
    """All records in time order, whose they are, and buckets to select them quickly."""

    def __init__(
        self,
        records: Iterable[Record],
        zone: tzinfo | None,
        tz_name: str,
        cases: Mapping[str, Case] | None = None,
    ) -> None:
        recs, times, owns = time_order(records if isinstance(records, list) else list(records))
        walls, offsets, odd = wall_clock(recs, times, owns, zone)
        self.tz_name = tz_name
        self.names: dict[str, str] = {}  # key -> the name as the user first wrote it
        names = self.names
        creditor_of_case = _creditors(cases or {}, names)
        self.items: list[Item] = []
        items = self.items
        self.events: list[Item] = []
        # Contacts the user marked as reported by someone else: few, kept apart so the
        # third-party rules need not visit every record.
        self.reported: list[Item] = []
        # Contacts with text of their own (subject, content, screenshots): what phrase
        # rules read; most calls have none.
        self.texts: list[Item] = []
        buckets: dict[tuple[str, str, str], list[int]] = {}
        org_of_name: dict[str | None, str] = {}
        unnamed: list[Item] = []  # a number logged without an organisation
        with_case: list[Item] = []
        # Each spelling's key once, in time order of first use (names keep the first).
        for name in dict.fromkeys(map(_organisation, recs)):
            k = org_of_name[name] = org_key(name)
            if k:
                names.setdefault(k, name or "")
        # One pass in time order, so the items sit in memory in the order every rule
        # visits them (out of order, each visit cost a cache miss); each record is read
        # while it is in the cache.
        keep, event, reported, text = (
            items.append,
            self.events.append,
            self.reported.append,
            self.texts.append,
        )
        for n, (rec, us, wall, off) in enumerate(zip(recs, times, walls, offsets, strict=True)):
            it = Item(rec, n, us, wall, off, zone, org_of_name)
            keep(it)
            if not it.org and rec.address:
                unnamed.append(it)
            if rec.case_id:
                with_case.append(it)
            if rec.event is not None:
                # A logged event (the user's letter) is not a contact by the collector.
                event(it)
            else:
                key = (it.channel, it.direction, it.outcome)
                got = buckets.get(key)
                if got is None:
                    buckets[key] = [n]
                else:
                    got.append(n)
                if rec.third_party:
                    reported(it)
                if rec.content or rec.subject or rec.attachments:
                    text(it)
        self._buckets = buckets
        # The contacts whose own offset shows another wall clock than the zone does
        # (clock.offset_note warns about them), in time order.
        self.odd = [items[n] for n in odd]
        _refine_parties(items, unnamed, with_case, creditor_of_case)
        # The records the run's hits name, by record id (``kinds.base.Maker`` fills it):
        # what a report shows beside the findings, without a second pass over them all.
        self.shown: dict[str, Record] = {}
        self._cache: dict[tuple, list[Item]] = {}
        self._scanned: tuple[PhraseMatcher, list[tuple[Item, str, dict]]] | None = None
        self._groups: dict[tuple, dict[str, list[Item]]] = {}
        self._sods: dict[tuple, tuple[list[Item], list[float], list[Item]]] = {}

    def scanned(self, matcher: PhraseMatcher) -> list[tuple[Item, str, dict[str, list[int]]]]:
        """Each contact with text (``texts``), its normalised subject and content, and
        the run's one matcher's hits in it: what phrase and scam rules read, made once
        (read only). ``Item.hits`` keeps one matcher's hits: a run has one.

        Messages repeat (a template sent again, the same reminder to each number): each
        distinct text is normalised and scanned once, and contacts that repeat it share
        its text and hits. Many texts are scanned with the matcher tuned to the
        characters they hold most (``PhraseMatcher.tuned``)."""
        got = self._scanned
        if got is None:
            raws = [it.raw() for it in self.texts]
            distinct: dict[str, str] = {}
            for raw in raws:
                if raw not in distinct:
                    distinct[raw] = normalise(raw) if raw else ""
            scan = matcher
            if len(distinct) >= _TUNE_FROM:
                texts = list(distinct.values())
                scan = matcher.tuned(common_characters(texts[:: len(texts) // _TUNE_SAMPLE]))
            found = {
                raw: (text, scan.find_all(text) if text else _NONE)
                for raw, text in distinct.items()
            }
            got = self._scanned = (matcher, [])
            add = got[1].append
            for it, raw in zip(self.texts, raws, strict=True):
                it._text, it._hits = text, hits = found[raw]
                add((it, text, hits))
        assert got[0] is matcher, "one matcher per run"
        return got[1]

    def name(self, key: str) -> str | None:
        """The display name of an organisation or institution key (None: not logged)."""
        return self.names.get(key) if key else None

    def select(
        self,
        channels: frozenset[str],
        directions: frozenset[str],
        outcomes: frozenset[str] | None = None,
    ) -> list[Item]:
        """Contact records (no events) of the given channels, directions and outcomes."""
        key = (channels, directions, outcomes)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        idx: list[int] = []
        for (c, d, o), lst in self._buckets.items():
            if c in channels and d in directions and (outcomes is None or o in outcomes):
                idx.extend(lst)
        idx.sort()
        # itemgetter picks the items in C (for one index it returns the bare item).
        items = self.items
        out = list(itemgetter(*idx)(items)) if len(idx) > 1 else [items[i] for i in idx]
        self._cache[key] = out
        return out

    def grouped(
        self,
        per: str,
        channels: frozenset[str],
        directions: frozenset[str],
        outcomes: frozenset[str] | None = None,
    ) -> dict[str, list[Item]]:
        """The records ``select`` picks, grouped by ``key(per, ·)``, each group in time
        order (read only; rules that count or scope alike share one grouping).
        ``kinds.base.in_force_groups`` cuts each group to a rule's in-force days."""
        cache_key = (per, channels, directions, outcomes)
        got = self._groups.get(cache_key)
        if got is None:
            got = self._groups[cache_key] = {}
            items = self.select(channels, directions, outcomes)
            if per == "debtor":
                if items:
                    got[""] = items
                return got
            attr = _KEY_ATTR.get(per)
            keys = map(attr, items) if attr is not None else (self.key(per, it) for it in items)
            groups: defaultdict[str, list[Item]] = defaultdict(list)
            for k, it in zip(keys, items, strict=True):
                groups[k].append(it)
            got.update(groups)
        return got

    def _timed(
        self, channels: frozenset[str], directions: frozenset[str], outcomes: frozenset[str]
    ) -> tuple[list[Item], list[float], list[Item]]:
        key = (channels, directions, outcomes)
        got = self._sods.get(key)
        if got is None:
            items = self.select(channels, directions, outcomes)
            unknown = [it for it in items if not it.time_known]
            if unknown:
                items = [it for it in items if it.time_known]
            got = self._sods[key] = (items, [it.sod for it in items], unknown)
        return got

    def seconds_of_day(
        self, channels: frozenset[str], directions: frozenset[str], outcomes: frozenset[str]
    ) -> tuple[list[Item], list[float]]:
        """The selected records whose time of day is known, and their local seconds since
        midnight as a plain list that quiet-hours rules scan in a comprehension (several
        rules share it)."""
        items, sods, _ = self._timed(channels, directions, outcomes)
        return items, sods

    def time_unknown(
        self, channels: frozenset[str], directions: frozenset[str], outcomes: frozenset[str]
    ) -> list[Item]:
        """The selected records that have a day but no time (left out of quiet hours)."""
        return self._timed(channels, directions, outcomes)[2]

    def key(self, per: str, it: Item) -> str:
        """The group a contact is counted in for ``per`` (see schema.PER)."""
        attr = _KEY_ATTR.get(per)
        if attr is not None:
            return attr(it)
        if per == "address":
            a = it.address
            return a.strip().casefold() if a else UNKNOWN_ORG
        return ""


def _creditors(cases: Mapping[str, Case], names: dict[str, str]) -> dict[str, str]:
    """case id -> the key of its creditor (named first: names keep the first spelling)."""
    creditor_of_case: dict[str, str] = {}
    for cid, case in cases.items():
        if case.creditor:
            k = org_key(case.creditor)
            creditor_of_case[cid] = k
            names.setdefault(k, case.creditor)
    return creditor_of_case


def _refine_parties(
    items: list[Item],
    unnamed: list[Item],
    with_case: list[Item],
    creditor_of_case: Mapping[str, str],
) -> None:
    """Complete the ``org``, ``inst`` and ``debt`` keys that ``Prepared`` set from each
    record's organisation (see the module docstring): numbers logged without one, and
    cases."""
    if unnamed:
        # A number logged without an organisation is that organisation's when every
        # other record of the number names the same one.
        wanted = {it.rec.address for it in unnamed}
        by_address: dict[str, set[str]] = defaultdict(set)
        for it in items:
            if it.org and it.rec.address in wanted:
                by_address[it.rec.address].add(it.org)
        for it in unnamed:
            known = by_address.get(it.rec.address or "")
            if known and len(known) == 1:
                it.org = it.inst = it.debt = next(iter(known))
    if not creditor_of_case:
        for it in with_case:
            it.debt = f"case:{it.rec.case_id}"
        return
    # An organisation that works for exactly one creditor belongs to its institution.
    agency_of: dict[str, set[str]] = defaultdict(set)
    for it in with_case:
        if it.org and it.rec.case_id in creditor_of_case:
            agency_of[it.org].add(creditor_of_case[it.rec.case_id])
    creditor_of = {k: next(iter(v)) for k, v in agency_of.items() if len(v) == 1}
    for it in items:
        case_id = it.rec.case_id
        it.inst = creditor_of_case.get(case_id or "") or creditor_of.get(it.org, it.org)
        it.debt = f"case:{case_id}" if case_id else it.inst
