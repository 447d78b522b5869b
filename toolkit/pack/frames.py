"""Build a loaded pack's frames from its validated records, checking what spans records on the way.

`FrameBuilder` turns the records `toolkit.pack.load` has read into the ~21 frames, each with exactly the
columns and dtypes of `toolkit.pack.schema`. The same pass runs the checks that span records: references
between files, every quote found verbatim in the article, every entity mentioned, probabilities in
[0, 1] with low <= high; it reports each problem to the loader rather than raising.

One module, longer than the others: each frame's builder and the checks on the rows it builds are the
same loop, and their order (file by file) is the order problems are reported in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from toolkit.pack import records as r
from toolkit.pack.observations import (
    ADMIRALTY_FILE,
    LOG_FILE,
    LogContext,
    diagnostic_rows,
    grade_rows,
    observation_rows,
    trust_of,
)
from toolkit.pack.rows import Frame, make_frame
from toolkit.pack.text import contains_word, find_mentions, find_quote, quote_not_found, sentence_at

if TYPE_CHECKING:
    import polars as pl

    from toolkit.pack.load import Loader

RESERVED_ID = "none"  # "no tier" in the outputs: no response decided, nothing transferred

# kind of id -> (file, section) of the records that define it
DEFINED_IN: dict[str, tuple[str, str]] = {
    "entity": ("entities.yaml", "entities"),
    "claim": ("claims.yaml", "claims"),
    "tech": ("technologies.yaml", "technologies"),
    "tech_tier": ("technologies.yaml", "tiers"),
    "phase": ("phases.yaml", "phases"),
    "response_tier": ("responses.yaml", "tiers"),
    "parameter": ("parameters.yaml", "parameters"),
    "band": ("estimative.yaml", "yardstick"),
    "phrase": ("estimative.yaml", "phrases"),
}


# the kinds of id an outcome names by id alone, which may not share an id (in the order checked)
SHARED_KINDS: dict[str, str] = {
    "phase": "phase",
    "tech_tier": "technology tier",
    "tech": "technology",
    "response_tier": "response tier",
}

# what each kind of claim event names (`toolkit.pack.records.ClaimEvent`)
_EVENT_TARGETS = {
    "reached": "phase",
    "transferred": "tech",
    "tier_transferred": "tech_tier",
    "decided": "response_tier",
}


class FrameBuilder:
    """Cross-record checks and frame construction, in one pass over the parsed records."""

    def __init__(self, loader: Loader, enums: Mapping[str, pl.Enum] | None) -> None:
        """`enums` None: run every check but return `toolkit.pack.rows.Rows` instead of polars
        frames (polars is not imported)."""
        self.ld = loader
        self.enums = enums
        self.sources: list[dict[str, Any]] = []
        d = loader.data
        self.entities: list[r.Entity] = d["entities.yaml"]["entities"]
        self.relations: list[r.Relation] = d["relations.yaml"]["relations"]
        self.events: list[r.Event] = d["events.yaml"]["events"]
        self.bands: list[r.Band] = d["estimative.yaml"]["yardstick"]
        self.phrases: list[r.Phrase] = d["estimative.yaml"]["phrases"]
        self.claims: list[r.Claim] = d["claims.yaml"]["claims"]
        self.tiers: list[r.TechTier] = d["technologies.yaml"]["tiers"]
        self.techs: list[r.Technology] = d["technologies.yaml"]["technologies"]
        self.phases: list[r.Phase] = d["phases.yaml"]["phases"]
        self.transitions: list[r.Transition] = d["phases.yaml"]["transitions"]
        self.start: list[r.StartState] = d["phases.yaml"]["start"]
        self.indicators: list[r.Indicator] = d["indicators.yaml"]["indicators"]
        self.responses: list[r.ResponseTier] = d["responses.yaml"]["tiers"]
        self.params: list[r.Parameter] = d["parameters.yaml"]["parameters"]
        self.scenarios: list[r.Scenario] = d["scenarios.yaml"]["scenarios"]
        self.reliability: list[r.Grade] = d.get(ADMIRALTY_FILE, {}).get("reliability", [])
        self.credibility: list[r.Grade] = d.get(ADMIRALTY_FILE, {}).get("credibility", [])
        self.observations: list[r.Observation] = d.get(LOG_FILE, {}).get("observations", [])
        self.ids = {
            "entity": {e.id for e in self.entities},
            "claim": {c.id for c in self.claims},
            "tech": {t.id for t in self.techs},
            "tech_tier": {t.id for t in self.tiers},
            "phase": {p.id for p in self.phases},
            "response_tier": {t.id for t in self.responses},
            "parameter": {p.id for p in self.params},
            "band": {b.id for b in self.bands},
        }
        # Ids of records dropped for their own problems (reported already): a reference to one is
        # not reported again as unknown.
        self.dropped = {
            kind: {label for _, label in loader.dropped.get(where, [])}
            for kind, where in DEFINED_IN.items()
        }

    # -- helpers --------------------------------------------------------------------------
    def ref(self, file: str, record: str, fld: str, value: str | None, kind: str) -> None:
        if value is not None and not self.known(value, kind):
            self.ld.problem(file, record, fld, value, f"unknown {kind.replace('_', ' ')} id")

    def known(self, value: str, kind: str) -> bool:
        """Whether `value` is an id of `kind`, or of a record of that kind dropped for its own
        problems (a second problem about it would only mislead)."""
        return value in self.ids[kind] or value in self.dropped[kind]

    def src(
        self, file: str, record: str, evidence: str | None, assumption: str | None = None
    ) -> dict[str, Any]:
        """Locate the quote, log the row's sources; return the evidence columns."""
        cols: dict[str, Any] = {
            "evidence": evidence,
            "evidence_start": None,
            "evidence_end": None,
            "evidence_sentence": None,
        }
        if evidence is not None:
            span = find_quote(self.ld.body, evidence)
            if span is None:
                self.ld.problem(
                    file, record, "evidence", evidence,
                    quote_not_found(self.ld.body, evidence, "the article"),
                )  # fmt: skip
            else:
                sentence = sentence_at(self.ld.sentences, span[0])
                cols.update(evidence_start=span[0], evidence_end=span[1])
                cols["evidence_sentence"] = sentence
                self.sources.append(
                    {
                        "file": file,
                        "record": record,
                        "kind": "evidence",
                        "text": evidence,
                        "start": span[0],
                        "end": span[1],
                        "sentence": sentence,
                    }
                )
        if assumption is not None:
            self.sources.append(
                {
                    "file": file,
                    "record": record,
                    "kind": "assumption",
                    "text": assumption,
                    "start": None,
                    "end": None,
                    "sentence": None,
                }
            )
        return cols

    def frame(self, name: str, rows: Iterable[dict[str, Any]]) -> Frame:
        return make_frame(name, rows, self.enums, problems_found=bool(self.ld.problems))

    # -- build ----------------------------------------------------------------------------
    def build(self) -> dict[str, Frame]:
        frames: dict[str, Frame] = {}
        frames["sentences"] = self.frame("sentences", (vars(s) for s in self.ld.sentences))
        frames.update(self._entities())
        frames["relations"] = self.frame("relations", self._relations())
        frames["events"] = self.frame("events", self._events())
        frames["gdelt"] = self._gdelt()
        frames.update(self._estimative())
        frames["claims"] = self.frame("claims", self._claims())
        frames.update(self._technologies())
        frames.update(self._phases())
        frames["indicators"] = self.frame("indicators", self._indicators())
        frames.update(self._tracker(frames["indicators"]))
        frames.update(self._responses())
        frames["parameters"] = self.frame("parameters", self._parameters())
        frames.update(self._scenarios(frames["parameters"]))
        frames["sources"] = self.frame("sources", self.sources)
        self._check_report_defaults()
        self._check_reserved_ids()
        self._check_shared_ids()
        return frames

    def _check_reserved_ids(self) -> None:
        """`none` names "no tier" in every output (no response decided yet, nothing transferred):
        a response tier or technology tier may not take it."""
        for kind in ("response_tier", "tech_tier"):
            if RESERVED_ID in self.ids[kind]:
                file, _section = DEFINED_IN[kind]
                self.ld.problem(
                    file, RESERVED_ID, "id", RESERVED_ID,
                    "'none' is reserved: the outputs use it for \"no tier\"",
                )  # fmt: skip

    def _check_shared_ids(self) -> None:
        """A phase, technology tier, technology and response tier each have their own id: an
        outcome (a question's target, the tornado's outcome, a trigger, a report's figure) names one
        of them by id alone, so an id that named two would be read as either."""
        seen: dict[str, str] = {}
        records: dict[str, list[str]] = {  # in SHARED_KINDS' order
            "phase": [p.id for p in self.phases],
            "tech_tier": [t.id for t in self.tiers],
            "tech": [t.id for t in self.techs],
            "response_tier": [t.id for t in self.responses],
        }
        for kind, ids in records.items():
            file, _section = DEFINED_IN[kind]
            for ident in dict.fromkeys(ids):  # file order, once each
                other = seen.setdefault(ident, kind)
                if other != kind:
                    other_file, other_section = DEFINED_IN[other]
                    self.ld.problem(
                        file, ident, "id", ident,
                        f"also the id of a {SHARED_KINDS[other]} ({other_file} "
                        f"{other_section}): phases, technology tiers, technologies and response "
                        "tiers need ids of their own",
                    )  # fmt: skip

    def _check_report_defaults(self) -> None:
        """pack.yaml `report`: the sensitivity outcome and the explorer grid's parameters exist (the
        engine checks the grid's values: `toolkit.engine.check`)."""
        meta = self.ld.meta
        if meta is None:
            return
        file, report = "pack.yaml", meta.report
        outcome = report.sensitivity_outcome
        kinds = ("response_tier", "phase", "tech", "tech_tier")
        if outcome is not None and not any(self.known(outcome, kind) for kind in kinds):
            self.ld.problem(
                file, "report", "sensitivity_outcome", outcome,
                "not a response tier, phase, technology or technology tier id",
            )  # fmt: skip
        for name in report.explorer_grid or {}:
            self.ref(file, "report", "explorer_grid", name, "parameter")

    def _entities(self) -> dict[str, Frame]:
        file = "entities.yaml"
        alias_map: dict[str, str] = {}
        for e in self.entities:
            self.ref(file, e.id, "affiliation", e.affiliation, "entity")
            for alias in e.aliases:
                owner = alias_map.setdefault(alias, e.id)
                if owner != e.id:
                    self.ld.problem(file, e.id, "aliases", alias, f"alias already used by {owner}")
        mentions = find_mentions(self.ld.body, alias_map, self.ld.sentences)
        counts: dict[str, int] = {}
        for m in mentions:
            counts[m.entity] = counts.get(m.entity, 0) + 1
        rows = []
        for e in self.entities:
            if not counts.get(e.id):
                self.ld.problem(
                    file, e.id, "aliases", e.aliases, "entity is never mentioned in the article"
                )
            rows.append(
                e.model_dump()
                | {"mention_count": counts.get(e.id, 0)}
                | self.src(file, e.id, e.evidence)
            )
        return {
            "entities": self.frame("entities", rows),
            "aliases": self.frame(
                "aliases", ({"alias": a, "entity": i} for a, i in alias_map.items())
            ),
            "mentions": self.frame("mentions", (vars(m) for m in mentions)),
        }

    def _relations(self) -> Iterator[dict[str, Any]]:
        file = "relations.yaml"
        for rel in self.relations:
            self.ref(file, rel.id, "subject", rel.subject, "entity")
            self.ref(file, rel.id, "object", rel.object, "entity")
            yield rel.model_dump() | self.src(file, rel.id, rel.evidence, rel.assumption)

    def _events(self) -> Iterator[dict[str, Any]]:
        file = "events.yaml"
        for ev in self.events:
            self.ref(file, ev.id, "location", ev.location, "entity")
            for actor in ev.actors:
                self.ref(file, ev.id, "actors", actor, "entity")
            yield ev.model_dump() | self.src(file, ev.id, ev.evidence)

    def _gdelt(self) -> Frame:
        names = {e.id: e for e in self.entities}
        source_url = self.ld.meta.source.url if self.ld.meta else None
        rows = []
        for n, ev in enumerate(self.events, start=1):
            a1 = names.get(ev.actors[0])
            a2 = names.get(ev.actors[1]) if len(ev.actors) > 1 else None
            root = int(ev.cameo[:2])
            quad = 1 if root <= 5 else 2 if root <= 8 else 3 if root <= 13 else 4
            place = names.get(ev.location) if ev.location else None
            rows.append(
                {
                    "GLOBALEVENTID": n,
                    "SQLDATE": int(ev.date.strftime("%Y%m%d")),
                    "DatePrecision": ev.precision,
                    "Actor1Code": a1.cameo_actor if a1 else None,
                    "Actor1Name": a1.name if a1 else None,
                    "Actor2Code": a2.cameo_actor if a2 else None,
                    "Actor2Name": a2.name if a2 else None,
                    "IsRootEvent": 1,
                    "EventCode": ev.cameo,
                    "EventBaseCode": ev.cameo[:3],
                    "EventRootCode": ev.cameo[:2],
                    "QuadClass": quad,
                    "PLOVER": ev.plover,
                    "ActionGeo_FullName": place.name if place else None,
                    "SOURCEURL": source_url,
                }
            )
        return self.frame("gdelt", rows)

    def _estimative(self) -> dict[str, Frame]:
        file = "estimative.yaml"
        bands = {b.id: b for b in self.bands}
        for prev, cur in zip(self.bands, self.bands[1:], strict=False):
            if cur.low < prev.low:
                self.ld.problem(file, cur.id, "low", cur.low, f"bands must rise: below {prev.id}")
        self.phrase_rows: dict[str, dict[str, Any]] = {}
        for ph in self.phrases:
            self.ref(file, ph.phrase, "band", ph.band, "band")
            band = bands.get(ph.band) if ph.band else None
            if ph.on_yardstick and band is None:
                self.ld.problem(
                    file, ph.phrase, "band", ph.band, "a yardstick phrase names its band"
                )
            low = ph.low if ph.low is not None else (band.low if band else None)
            high = ph.high if ph.high is not None else (band.high if band else None)
            if ph.on_yardstick and band and (low, high) != (band.low, band.high):
                self.ld.problem(
                    file, ph.phrase, "low/high", (low, high), f"differs from band {band.id}"
                )
            self.phrase_rows[ph.phrase.lower()] = {
                "phrase": ph.phrase,
                "on_yardstick": ph.on_yardstick,
                "vague": not ph.on_yardstick,
                "band": ph.band,
                "low": low,
                "high": high,
                "rationale": ph.rationale,
            }
        return {
            "yardstick": self.frame("yardstick", (b.model_dump() for b in self.bands)),
            "phrases": self.frame("phrases", self.phrase_rows.values()),
        }

    def _claims(self) -> Iterator[dict[str, Any]]:
        file = "claims.yaml"
        kinds = ("entity", "tech", "tech_tier", "phase", "response_tier")
        dropped_phrases = {p.lower() for p in self.dropped["phrase"]}
        for c in self.claims:
            self.ref(file, c.id, "source", c.source, "entity")
            for target in c.about:
                if not any(self.known(target, kind) for kind in kinds):
                    self.ld.problem(file, c.id, "about", target, "unknown id")
            row: dict[str, Any] = c.model_dump(exclude={"event"})
            if c.event is not None:
                ev = c.event
                self.ref(file, c.id, f"event.{ev.kind}", ev.target, _EVENT_TARGETS[ev.kind])
                if c.phrase is None:
                    self.ld.problem(
                        file, c.id, "event", ev.target,
                        "an event is compared with the claim's estimative band: give a phrase",
                    )  # fmt: skip
                row |= {
                    "event_kind": ev.kind,
                    "event_target": ev.target,
                    "event_within": ev.within,
                    "event_assumption": ev.assumption,
                }
            if c.phrase is not None:
                ph = self.phrase_rows.get(c.phrase.lower())
                if ph is None:
                    if c.phrase.lower() not in dropped_phrases:
                        self.ld.problem(
                            file, c.id, "phrase", c.phrase, "phrase not listed in estimative.yaml"
                        )
                else:
                    row |= {k: ph[k] for k in ("on_yardstick", "vague", "band", "low", "high")}
                if not contains_word(c.evidence, c.phrase):
                    self.ld.problem(file, c.id, "phrase", c.phrase, "phrase not in the evidence")
            event_note = c.event.assumption if c.event is not None else None
            yield row | self.src(file, c.id, c.evidence, event_note)

    def _technologies(self) -> dict[str, Frame]:
        file = "technologies.yaml"
        tiers = [
            t.model_dump() | {"order": i} | self.src(file, t.id, t.evidence, t.assumption)
            for i, t in enumerate(self.tiers)
        ]
        techs = []
        for i, t in enumerate(self.techs):
            self.ref(file, t.id, "tier", t.tier, "tech_tier")
            self.ref(file, t.id, "upfront", t.upfront, "parameter")
            techs.append(
                t.model_dump() | {"order": i} | self.src(file, t.id, t.evidence, t.assumption)
            )
        if any(p.file == file and p.field == "tier" for p in self.ld.problems):
            techs = [t for t in techs if t["tier"] in self.ids["tech_tier"]]
        return {
            "tech_tiers": self.frame("tech_tiers", tiers),
            "technologies": self.frame("technologies", techs),
        }

    def _phases(self) -> dict[str, Frame]:
        file = "phases.yaml"
        rows = []
        for i, ph in enumerate(self.phases):
            self.ref(file, ph.id, "compensation_intensity", ph.compensation_intensity, "parameter")
            self.ref(file, ph.id, "location", ph.location, "entity")
            rows.append(
                ph.model_dump() | {"order": i} | self.src(file, ph.id, ph.evidence, ph.assumption)
            )
        transitions = []
        for t in self.transitions:
            label = f"{t.from_}->{t.to}"
            self.ref(file, label, "from", t.from_, "phase")
            self.ref(file, label, "to", t.to, "phase")
            self.ref(file, label, "parameter", t.parameter, "parameter")
            if t.from_ == t.to:
                self.ld.problem(file, label, "to", t.to, "a transition must change phase")
            if {t.from_, t.to} <= self.ids["phase"]:
                transitions.append(
                    {"from_phase": t.from_, "to_phase": t.to, "parameter": t.parameter}
                )
        return {
            "phases": self.frame("phases", rows),
            "transitions": self.frame("transitions", transitions),
            "start": self.frame("start", self._start_rows(file)),
        }

    def _start_rows(self, file: str) -> list[dict[str, Any]]:
        """The start state: given shares (summing to 1), or every path in the first phase."""
        if not self.start:
            first = self.phases[0].id if self.phases else None
            basis = "no start state in phases.yaml: every path starts in the first phase"
            return [{"phase": first, "probability": 1.0, "evidence": None, "assumption": basis}]
        rows, seen = [], set()
        for s in self.start:
            self.ref(file, s.phase, "start.phase", s.phase, "phase")
            if s.phase in seen:
                self.ld.problem(file, s.phase, "start.phase", s.phase, "phase listed twice")
            seen.add(s.phase)
            if s.phase in self.ids["phase"]:
                rows.append(
                    {"phase": s.phase, "probability": s.probability}
                    | self.src(file, f"start.{s.phase}", s.evidence, s.assumption)
                )
        total = sum(s.probability for s in self.start)
        if abs(total - 1.0) > 1e-9:
            self.ld.problem(file, "start", "probability", round(total, 9), "shares must sum to 1")
        return rows

    def _indicators(self) -> Iterator[dict[str, Any]]:
        file = "indicators.yaml"
        for ind in self.indicators:
            self.ref(file, ind.id, "phase", ind.phase, "phase")
            if ind.phase in self.ids["phase"]:
                yield ind.model_dump() | self.src(file, ind.id, ind.evidence, ind.assumption)

    def _tracker(self, indicators: Frame) -> dict[str, Frame]:
        """Indicator diagnostics, the grading table and the observation log
        (`toolkit.pack.observations` holds their checks)."""
        diagnostics = diagnostic_rows(
            self.indicators, [p.id for p in self.phases], self.ld.problem, self.dropped["phase"]
        )
        for ind in self.indicators:
            if ind.diagnostic is not None:
                self.src("indicators.yaml", f"{ind.id}.diagnostic", None, ind.diagnostic.assumption)
        grades = grade_rows(self.reliability, self.credibility, self.ld.problem)
        for g in grades:
            self.src(ADMIRALTY_FILE, f"{g['scale']}.{g['grade']}", None, g["rationale"])
        rel, cred = trust_of(grades)
        meta = self.ld.meta
        ctx = LogContext(
            root=self.ld.root,
            start=meta.publication.date if meta else dt.date.min,
            indicator_phase={
                str(row["id"]): str(row["phase"]) for row in indicators.iter_rows(named=True)
            },
            diagnosed=frozenset(row["indicator"] for row in diagnostics),
            technologies=frozenset(self.ids["tech"]),
            tier_status={t.id: t.status for t in self.responses},
            reliability=rel,
            credibility=cred,
            has_grades=bool(rel),
        )
        log = observation_rows(self.observations, ctx, LOG_FILE, self.ld.problem)
        return {
            "diagnostics": self.frame("diagnostics", diagnostics),
            "admiralty": self.frame("admiralty", grades),
            "observations": self.frame("observations", log),
        }

    def _responses(self) -> dict[str, Frame]:
        file = "responses.yaml"
        kinds = {
            "phase_at_least": "phase",
            "reached": "phase",
            "tier_transferred": "tech_tier",
            "transferred": "tech",
        }
        tiers, triggers = [], []
        for i, t in enumerate(self.responses):
            self.ref(file, t.id, "lag", t.lag, "parameter")
            self.ref(file, t.id, "will", t.will, "parameter")
            self.ref(file, t.id, "never", t.never, "parameter")
            combinator = t.trigger.combinator if t.trigger else None
            for cond in t.trigger.conditions if t.trigger else []:
                if cond.kind in kinds:
                    self.ref(file, t.id, f"trigger.{cond.kind}", cond.target, kinds[cond.kind])
                self.ref(file, t.id, "trigger.location", cond.location, "entity")
                triggers.append(
                    {
                        "tier": t.id,
                        "combinator": combinator,
                        "kind": cond.kind,
                        "target": cond.target,
                        "location": cond.location,
                    }
                )
            row = t.model_dump(exclude={"trigger"}) | {"order": i, "combinator": combinator}
            tiers.append(row | self.src(file, t.id, t.evidence, t.assumption))
        return {
            "response_tiers": self.frame("response_tiers", tiers),
            "triggers": self.frame("triggers", triggers),
        }

    def _parameters(self) -> Iterator[dict[str, Any]]:
        file = "parameters.yaml"
        claim_bands = {c.id: c for c in self.claims}
        for p in self.params:
            self.ref(file, p.id, "claim", p.claim, "claim")
            low, high, band_source = p.low, p.high, "explicit" if p.low is not None else None
            if low is None and p.claim in claim_bands:
                claim = claim_bands[p.claim]
                ph = self.phrase_rows.get((claim.phrase or "").lower())
                if ph and ph["low"] is not None:
                    low, high, band_source = ph["low"], ph["high"], "claim"
            self._check_parameter(file, p, low, high)
            if p.distribution is not None and low is None and not self._unread(p, claim_bands):
                self.ld.problem(
                    file,
                    p.id,
                    "distribution",
                    p.distribution,
                    "a distribution needs a band: low and high, or a claim whose phrase has one",
                )
            yield p.model_dump() | {
                "low": low,
                "high": high,
                "band_source": band_source,
                "distribution": p.distribution or ("uniform" if low is not None else None),
                "sourced": p.claim is not None,
            }

    def _unread(self, p: r.Parameter, claims: dict[str, r.Claim]) -> bool:
        """Whether the claim `p` rests on, or its phrase, is not loaded (reported elsewhere): its band
        is unknown, not absent."""
        claim = claims.get(p.claim) if p.claim is not None else None
        if p.claim is not None and claim is None:
            return True
        phrase = claim.phrase if claim is not None else None
        return phrase is not None and phrase.lower() not in self.phrase_rows

    def _check_parameter(
        self, file: str, p: r.Parameter, low: float | None, high: float | None
    ) -> None:
        lo, hi = p.min, p.max
        if p.unit.startswith("probability"):
            for name, v in (("min", p.min), ("max", p.max)):
                if not 0 <= v <= 1:
                    self.ld.problem(file, p.id, name, v, "a probability must lie in [0, 1]")
            lo, hi = max(lo, 0.0), min(hi, 1.0)
        if lo > hi:
            self.ld.problem(file, p.id, "min", p.min, f"min is above max {p.max}")
        checks: list[tuple[str, float | None]] = [("value", p.value), ("low", low), ("high", high)]
        for name, x in checks:
            if x is not None and not lo <= x <= hi:
                self.ld.problem(file, p.id, name, x, f"out of the valid range [{p.min}, {p.max}]")
        if p.type == "int" and p.value != int(p.value):
            self.ld.problem(file, p.id, "value", p.value, "an int parameter needs a whole number")
        if low is not None and high is not None:
            if low > high:
                self.ld.problem(file, p.id, "low", low, f"low is above high {high}")
            elif p.distribution == "triangular" and not low <= p.value <= high:
                self.ld.problem(file, p.id, "value", p.value, f"mode outside band [{low}, {high}]")

    def _scenarios(self, params: Frame) -> dict[str, Frame]:
        file = "scenarios.yaml"
        bounds = {row["id"]: row for row in params.iter_rows(named=True)}
        # A first record dropped for its own problems is reported already: the next is not "first".
        first_dropped = any(i == 1 for i, _ in self.ld.dropped.get((file, "scenarios"), []))
        if self.scenarios and self.scenarios[0].id != "baseline" and not first_dropped:
            self.ld.problem(
                file, self.scenarios[0].id, "id", self.scenarios[0].id, "first is baseline"
            )
        rows, overrides = [], []
        for i, s in enumerate(self.scenarios):
            rows.append(s.model_dump(exclude={"overrides"}) | {"order": i})
            for pid, spec in s.overrides.items():
                if pid not in bounds:
                    if not self.known(pid, "parameter"):
                        self.ld.problem(
                            file, s.id, f"overrides.{pid}", spec, "unknown parameter id"
                        )
                    continue
                b = bounds[pid]
                ov = spec if isinstance(spec, dict) else {"value": spec}
                extra = set(ov) - {"value", "low", "high"}
                if extra or "value" not in ov:
                    self.ld.problem(
                        file,
                        s.id,
                        f"overrides.{pid}",
                        spec,
                        "expected a number or {value, low, high}",
                    )
                    continue
                for key, v in ov.items():
                    if not b["min"] <= v <= b["max"]:
                        self.ld.problem(
                            file, s.id, f"overrides.{pid}.{key}", v,
                            f"out of the valid range [{b['min']}, {b['max']}]",
                        )  # fmt: skip
                if ("low" in ov) != ("high" in ov):
                    self.ld.problem(file, s.id, f"overrides.{pid}", spec, "give both low and high")
                overrides.append({"scenario": s.id, "parameter": pid} | ov)
        return {
            "scenarios": self.frame("scenarios", rows),
            "overrides": self.frame("overrides", overrides),
        }
