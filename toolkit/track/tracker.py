"""`track(pack, as_of=..., observations=...)`: the assessment on a date, given the observations
reported by then.

Time 0 is the pack's publication date (`pack.yaml` publication.date) in the pack's start state; the
filter (`toolkit.track.filter`) follows the scenario's deployment chain day by day and applies each
observation on its day (`observed`, or the middle of its week or month, never after `reported`),
using only observations reported on or before the as-of date. The result holds the posterior over
phases, the probability that each technology has been transferred and that each response tier has
been decided, the observations used with how much each moved the estimate, the phase posterior on
every day, and the indicators to watch.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import polars as pl

from toolkit.engine.compile import compile_model
from toolkit.engine.validate import check_day as check_as_of
from toolkit.errors import PackError, ParameterError, Problem
from toolkit.pack import records as r
from toolkit.pack.observations import check_log, parse_log, read_log, trust_of
from toolkit.track.filter import (
    Evidence,
    Filter,
    distance,
    expected_seen,
    posterior_after,
    reached_given_phase,
)
from toolkit.track.questions import read_date

if TYPE_CHECKING:
    from toolkit.engine.model import Model, TierStart
    from toolkit.pack.load import Pack

# where in its window an observation of coarse precision is applied (days after `observed`)
WINDOW_MIDDLE: Final = {"day": 0, "week": 3, "month": 14}
WINDOW_DAYS: Final = {"day": 1, "week": 7, "month": 31}  # how many days an observed window spans
WATCH_GRADE: Final = ("B", "2")  # the grade of the hypothetical report "what to watch" ranks by
DIGITS: Final = 4  # probabilities in --json
SHIFT_DIGITS: Final = 9  # shifts equal to this many digits are ties (float noise is no ranking)

Observations = str | os.PathLike[str] | pl.DataFrame | Sequence[Mapping[str, Any]] | None


@dataclass(frozen=True)
class TrackResult:
    """The assessment as of one date. Probabilities are floats in [0, 1]; dicts keep ladder order."""

    as_of: dt.date
    start: dt.date  # the pack's publication date: day 0
    scenario: str
    phases: dict[str, float]
    transferred: dict[str, float]
    decided: dict[str, float]
    observations_used: tuple[str, ...]
    evidence: pl.DataFrame = field(repr=False)  # the observations used, with shift and influence
    history: pl.DataFrame = field(repr=False)  # date, phase (Enum), probability
    watch: pl.DataFrame = field(repr=False)  # indicators: seen, and what they would change
    # each technology's P(transferred | phase), and each response tier's state by phase (decided,
    # never, latched and for how long): an engine start (`toolkit.track.forecast.tracked_start`)
    transferred_by_phase: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)
    tiers: dict[str, TierStart] = field(default_factory=dict, repr=False)
    # what `reached_by_phase` is computed from, when first read: (model, day, evidence, step_days)
    reached_inputs: tuple[Model, int, tuple[Evidence, ...], int] | None = field(
        default=None, repr=False, compare=False
    )

    @cached_property
    def reached_by_phase(self) -> dict[str, dict[str, float]]:
        """Each phase's P(reached since the pack's date, in it or through it | the phase now): an
        engine start counts a phase gone through as reached at month 0. One filter run per phase, so
        it is computed when first read (an engine start reads it; `toolkit track` does not)."""
        if self.reached_inputs is None:
            return {}
        model, day, evidence, step_days = self.reached_inputs
        return {
            x: dict(
                zip(
                    model.phases,
                    (float(p) for p in reached_given_phase(model, day, evidence, i, step_days)),
                    strict=True,
                )
            )
            for i, x in enumerate(model.phases)
        }

    def to_json(self) -> dict[str, Any]:
        """{"as_of", "phases", "transferred", "decided", "observations_used"}."""

        def short(values: Mapping[str, float]) -> dict[str, float]:
            return {k: round(min(max(v, 0.0), 1.0), DIGITS) + 0.0 for k, v in values.items()}

        return {
            "as_of": self.as_of.isoformat(),
            "phases": short(self.phases),
            "transferred": short(self.transferred),
            "decided": short(self.decided),
            "observations_used": list(self.observations_used),
        }

    def most_influential(self, n: int = 5) -> pl.DataFrame:
        """The `n` observations whose removal would move today's estimate most."""
        return self.evidence.sort("influence", "id", descending=[True, False]).head(n)


def check_not_after_today(day: dt.date, name: str = "as_of") -> None:
    """ParameterError (naming the date `name`) if `day` is after today: an assessment, a forecast
    or a report is as of a day that has come (the tracker would run the model on without the reports
    of the days between, and call that what is known then)."""
    from toolkit.dates import after_today

    why = after_today(day)
    if why is not None:
        raise ParameterError(f"{name} {day} is {why}: give a date that has come")


def track(
    pack: Pack,
    as_of: dt.date | str | None = None,
    observations: Observations = None,
    *,
    scenario: str = "baseline",
    overrides: Mapping[str, object] | None = None,
    step_days: int = 1,
    today: dt.date | None = None,
) -> TrackResult:
    """The assessment on `as_of` given the observations reported by then.

    `observations`: None for the pack's log (observations.yaml), a path to a log file (YAML or CSV),
    a list of records (mappings with the log's fields) or a frame like `pack.observations`. `as_of`
    defaults to today's date capped at the last observation's `reported` date (the publication date
    when there is none). `scenario` and `overrides` give the chain's rates (point values).
    """
    day, start, model, used, repeats, evidence = _prepare(
        pack, as_of, observations, scenario, overrides, today
    )
    flt = Filter(model)
    fw = flt.forward((day - start).days, evidence, step_days)
    phase_enum = pl.Enum(list(model.phases))
    dates = [start + dt.timedelta(days=d) for d in fw.days]
    history = pl.DataFrame(
        {
            "date": [d for d in dates for _ in model.phases],
            "phase": list(model.phases) * len(dates),
            "probability": fw.phase_history.reshape(-1),
        },
        schema={"date": pl.Date, "phase": phase_enum, "probability": pl.Float64},
    )
    applied = {
        row["id"]: applied_day(row["observed"], str(row["precision"]), row["reported"])
        for row in used.select("id", "observed", "precision", "reported").iter_rows(named=True)
    }
    ev_frame = used.with_columns(
        pl.col("id").replace_strict(applied, return_dtype=pl.Date).alias("applied"),
        pl.col("id").replace_strict(fw.shift, default=0.0, return_dtype=pl.Float64).alias("shift"),
        pl.col("id")
        .replace_strict(fw.influence, default=0.0, return_dtype=pl.Float64)
        .alias("influence"),
        pl.col("id").replace_strict(repeats, default=None, return_dtype=pl.String).alias("repeats"),
        pl.col("id")
        .replace_strict(one_reports(used_rows(used, repeats)), default=None, return_dtype=pl.String)
        .alias("one_report"),
    ).sort("applied", "reported", "id")
    phases = dict(zip(model.phases, (float(p) for p in fw.phases), strict=True))
    return TrackResult(
        as_of=day,
        start=start,
        scenario=scenario,
        phases=phases,
        transferred=fw.transferred,
        decided=fw.decided,
        observations_used=tuple(ev_frame["id"].to_list()),
        evidence=ev_frame,
        history=history,
        watch=watch_list(pack, fw.phases, ev_frame, model.phases),
        transferred_by_phase={
            t: dict(zip(model.phases, (float(p) for p in row), strict=True))
            for t, row in fw.transferred_by_phase.items()
        },
        tiers=fw.tiers,
        reached_inputs=(model, (day - start).days, tuple(evidence), step_days),
    )


def _prepare(
    pack: Pack,
    as_of: dt.date | str | None,
    observations: Observations,
    scenario: str,
    overrides: Mapping[str, object] | None,
    today: dt.date | None = None,
) -> tuple[dt.date, dt.date, Model, pl.DataFrame, dict[str, str], list[Evidence]]:
    """The as-of date, the start date, the model, the observations reported by then, the repeats
    among them, and the evidence the filter uses (`track`'s inputs)."""
    rows = observation_frame(pack, observations)
    start = pack.meta.publication.date
    day = parse_date(as_of, "as_of") if as_of is not None else None
    if day is None:
        last = max(rows["reported"].to_list(), default=start)
        day = min(today or dt.date.today(), max(last, start))
    check_as_of(day, start)
    model = compile_model(pack, scenario, overrides)
    used = rows.filter(pl.col("reported") <= day)
    repeats = repeated_reports(used)
    evidence = _evidence(pack, used_rows(used, repeats), start, model.phases)
    return day, start, model, used, repeats, evidence


def parse_date(value: dt.date | str, what: str) -> dt.date:
    """An ISO date (a `date` passes through); ParameterError naming `what` otherwise."""
    day = read_date(value)
    if day is None:
        raise ParameterError(f"{what} expects a date YYYY-MM-DD, got {value!r}")
    return day


def observation_frame(pack: Pack, observations: Observations) -> pl.DataFrame:
    """The observations as a frame like `pack.observations`, checked against the pack."""
    if observations is None:
        return pack.observations
    if isinstance(observations, pl.DataFrame):
        return observations
    if isinstance(observations, str | os.PathLike):
        rows = read_log(pack, observations)
    else:
        problems: list[Problem] = []
        records = _records(observations, problems)
        rows = check_log(pack, records, "observations", problems)
        if problems:
            raise PackError(problems)
    schema = pack.observations.schema
    return pl.DataFrame([{c: row.get(c) for c in schema} for row in rows], schema=schema)


def _records(items: Iterable[Mapping[str, Any]], problems: list[Problem]) -> list[r.Observation]:
    import yaml

    data = yaml.safe_dump({"observations": [dict(i) for i in items]}, sort_keys=False)
    return parse_log(data.encode("utf-8"), "observations", problems)


def source_key(source: object) -> str:
    """A source as the tracker tells sources apart: without case or extra spaces."""
    return " ".join(str(source).casefold().split())


def used_rows(rows: pl.DataFrame, repeats: Mapping[str, str]) -> pl.DataFrame:
    """The observations the filter applies: all but the repeats."""
    return rows.filter(~pl.col("id").is_in(list(repeats)))


def repeated_reports(rows: pl.DataFrame) -> dict[str, str]:
    """Observations that repeat an earlier one -> the id of the one the tracker counts.

    The filter takes observations as independent reports. The same report logged twice (by two
    analysts, or on two days) is not: two observations are one report when they name the same
    target with the same presence, come from the same source (compared without case or extra
    spaces) and their observed windows overlap. Of such a group the tracker applies the most
    trusted (the first reported on a tie); the others are listed with `repeats` set and move
    nothing. Independent sources on the same target still corroborate each other.
    """
    out: dict[str, str] = {}
    kept: dict[tuple[str, str, bool, str], list[tuple[dt.date, dt.date, str]]] = {}
    order = rows.sort("trust", "reported", "id", descending=[True, False, False])
    for row in order.iter_rows(named=True):
        source = source_key(row["source"])
        key = (str(row["target_kind"]), str(row["target"]), bool(row["present"]), source)
        first = row["observed"]
        last = first + dt.timedelta(days=WINDOW_DAYS[str(row["precision"])] - 1)
        for lo, hi, kept_id in kept.get(key, []):
            if first <= hi and lo <= last:
                out[row["id"]] = kept_id
                break
        else:
            kept.setdefault(key, []).append((first, last, row["id"]))
    return out


def applied_day(observed: dt.date, precision: str, reported: dt.date) -> dt.date:
    """When the filter applies an observation: its day, or the middle of its week or month, never
    after it was reported."""
    return min(observed + dt.timedelta(days=WINDOW_MIDDLE[precision]), reported)


ONE_REPORT_WORDS: Final = 4  # a quote that groups observations is a sentence, not a phrase


def one_reports(rows: pl.DataFrame) -> dict[str, str]:
    """Indicator observations that are one report -> the id of the one that carries it.

    One sentence of one source can name several indicators (`toolkit ingest` proposes one
    observation each). Taken as independent reports, each would be trusted on its own, while the
    source's failure (a wrong report) would take them all. Observations of indicators with the same
    source (as `source_key` compares them), from the same text and with the same quote (of at least
    ONE_REPORT_WORDS words: a phrase such as "the" is no sentence) are read as one report, whatever
    their windows: the first (by id) carries their joint likelihood (`_evidence`), the others move
    nothing on their own and are listed with `one_report` set."""
    out: dict[str, str] = {}
    leads: dict[tuple[str, str, str], str] = {}
    quoted = rows.filter(
        (pl.col("target_kind").cast(pl.String) == "indicator") & pl.col("quote").is_not_null()
    ).sort("id")
    for row in quoted.iter_rows(named=True):
        words = str(row["quote"]).split()
        if len(words) < ONE_REPORT_WORDS:
            continue
        key = (source_key(row["source"]), str(row["text"]), " ".join(words))
        if key in leads:
            out[row["id"]] = leads[key]
        else:
            leads[key] = row["id"]
    return out


def _evidence(
    pack: Pack, rows: pl.DataFrame, start: dt.date, phases: Sequence[str]
) -> list[Evidence]:
    """The filter's evidence: one per observation, except that the indicators of one report
    (`one_reports`) are one item. A report's trust is its source's reliability times its claim's
    credibility (admiralty.yaml); for one report of several claims the source is right or not once,
    and each claim is credible on its own: likelihood r x prod(c_i x P(i as reported | phase) +
    1 - c_i) + 1 - r (r the best reliability among the members; for one claim this is the usual
    r c P + 1 - r c)."""
    seen = _p_seen(pack, phases)
    joint = one_reports(rows)
    rel, cred = trust_of(pack.admiralty.iter_rows(named=True))
    members: dict[str, list[dict[str, Any]]] = {}
    for row in rows.iter_rows(named=True):
        members.setdefault(joint.get(row["id"], row["id"]), []).append(row)
    out = []
    for row in rows.iter_rows(named=True):
        if row["id"] in joint:
            continue
        when = applied_day(row["observed"], str(row["precision"]), row["reported"])
        kind = str(row["target_kind"])
        group = members[row["id"]]
        p_seen = seen.get(row["target"]) if kind == "indicator" else None
        present, trust = bool(row["present"]), float(row["trust"])
        if len(group) > 1:  # one report of several claims
            claims = []
            for m in group:
                c = cred.get(str(m["credibility"]), 1.0)
                p = seen[m["target"]] if m["present"] else 1 - seen[m["target"]]
                claims.append(c * p + (1 - c))
            p_seen = np.prod(claims, axis=0)
            present = True
            # one source, graded once: the best of its members' grades (a claim left at an
            # ingest draft's F6 must not undo a reviewed one; its credibility counts on its own)
            trust = max(rel.get(str(m["reliability"]), 1.0) for m in group)
        out.append(
            Evidence(
                id=row["id"],
                day=(when - start).days,
                kind=kind,
                target=row["target"],
                present=present,
                trust=trust,
                p_seen=p_seen,
            )
        )
    return out


def _p_seen(pack: Pack, phases: Sequence[str]) -> dict[str, np.ndarray]:
    """indicator -> P(seen | phase) in the ladder's order."""
    out: dict[str, np.ndarray] = {}
    index = {p: i for i, p in enumerate(phases)}
    for (ind,), group in pack.diagnostics.group_by("indicator", maintain_order=True):
        p = np.zeros(len(phases))
        for phase, prob in group.select(pl.col("phase").cast(pl.String), "p_seen").iter_rows():
            p[index[phase]] = prob
        out[str(ind)] = p
    return out


def watch_trust(pack: Pack) -> float:
    """The trust of the reference report "what to watch" ranks by (a B2 report)."""
    adm = pack.admiralty
    trust = dict(zip(adm["grade"], adm["trust"], strict=True))
    rel, cred = WATCH_GRADE
    return float(trust.get(rel, 0.8) * trust.get(cred, 0.8))


def watch_list(
    pack: Pack, phases: np.ndarray, evidence: pl.DataFrame, ladder: Sequence[str]
) -> pl.DataFrame:
    """Every indicator with a diagnostic: whether it has been reported seen, the chance it is now,
    and how far a B2 report of it (seen, or absent) would move the phase estimate today. Unseen
    indicators first, the most informative on top; equal shifts in the ladder order of the phase
    each signals, then in indicators.yaml's order (they were in the order of their ids, which
    tells a reader nothing, and with a certain estimate every shift is equal)."""
    w = watch_trust(pack)
    seen_rows = evidence.filter(
        (pl.col("target_kind").cast(pl.String) == "indicator") & pl.col("present")
    )
    last_seen = dict(seen_rows.group_by("target").agg(pl.col("applied").max()).iter_rows())
    labels = dict(zip(pack.indicators["id"], pack.indicators["description"], strict=True))
    rows = []
    p_seen = _p_seen(pack, ladder)
    for ind in (str(i) for i in pack.indicators["id"] if i in p_seen):
        p = p_seen[ind]
        rows.append(
            {
                "indicator": ind,
                "phase": str(pack.indicators.filter(pl.col("id") == ind)["phase"].item()),
                "description": labels[ind],
                "seen": ind in last_seen,
                "last_seen": last_seen.get(ind),
                "p_seen_now": expected_seen(phases, p),
                "shift_if_seen": distance(phases, posterior_after(phases, p, w, True)),
                "shift_if_absent": distance(phases, posterior_after(phases, p, w, False)),
            }
        )
    schema: dict[str, pl.DataType] = {
        "indicator": pl.String(),
        "phase": pl.Enum(list(ladder)),
        "description": pl.String(),
        "seen": pl.Boolean(),
        "last_seen": pl.Date(),
        "p_seen_now": pl.Float64(),
        "shift_if_seen": pl.Float64(),
        "shift_if_absent": pl.Float64(),
    }
    return pl.DataFrame(rows, schema=schema).sort(
        "seen",
        pl.col("shift_if_seen").round(SHIFT_DIGITS),
        "phase",
        descending=[False, True, False],
        maintain_order=True,
    )


def still_estimate(result: TrackResult) -> str | None:
    """One sentence when no report of an unseen indicator would move the as-of phase estimate (every
    shift rounds to 0), saying why; None when some would. A ranking of equal zeros ranks nothing."""
    unseen = result.watch.filter(~pl.col("seen"))
    if unseen.height == 0 or unseen["shift_if_seen"].round(SHIFT_DIGITS).max() != 0:
        return None
    why = (
        "it is certain (one phase at 100 %)"
        if round(max(result.phases.values()), SHIFT_DIGITS) == 1
        else "no unseen indicator tells apart the phases it is spread over"
    )
    # the as-of date, not "today's": an assessment as of a past day is read later (a review finding)
    return (
        f"No report of an unseen indicator could move the phase estimate on {result.as_of}: {why}."
    )
