"""What `toolkit params`, `toolkit simulate` and `toolkit track` print: results as terminal text.

Pure formatting of engine and tracker results (no option parsing, no I/O), so the commands stay short
and these texts can be tested on their own.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from toolkit.pack.units import whole_percents

if TYPE_CHECKING:
    from toolkit.engine.model import Model
    from toolkit.engine.result import SimulationResult
    from toolkit.track.tracker import TrackResult


def describe_parameters(model: Model, details: bool = False) -> str:
    """One line per parameter: value, band, distribution, valid range, unit, source; with
    `details`, then each parameter's label, description, claim quote and rationale."""
    import textwrap

    from toolkit.errors import format_number

    frame = model.parameters.to_frame()
    head = (
        f"Parameters of scenario {model.scenario!r} ({frame.height}; * set by the scenario, "
        "bands are sampled once per path)"
    )
    rows = [("id", "value", "band", "distribution", "valid range", "unit", "source")]
    notes: list[str] = []
    for r in frame.iter_rows(named=True):
        band = (
            "" if r["low"] is None else f"[{format_number(r['low'])}, {format_number(r['high'])}]"
        )
        mark = "*" if r["origin"] != "pack" else ""
        if r["claim"] is not None:
            source = f"claim {r['claim']}" + (
                " (band from its phrase)" if r["band_source"] == "claim" else ""
            )
        else:
            source = "analyst assumption"
        rows.append(
            (
                r["id"] + mark,
                format_number(r["value"]),
                band,
                r["distribution"] or "point",
                f"[{format_number(r['min'])}, {format_number(r['max'])}]",
                r["unit"],
                source,
            )
        )
        if details:
            notes += ["", f"{r['id']}: {r['label']}", *_wrap(r["description"], textwrap)]
            if r["claim"] is not None:
                quote = r["claim_evidence"] or ""
                notes += _wrap(f"claim {r['claim']}: \u201c{quote}\u201d", textwrap)
            if r["assumption"] is not None:
                notes += _wrap(f"assumption: {r['assumption']}", textwrap)
            if r["origin"] != "pack":
                notes.append(f"    set by {r['origin']}")
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    lines = [head, ""]
    lines += [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    if details:
        lines += notes
    else:
        lines += ["", "`toolkit params --details` adds descriptions, claim quotes and rationales."]
    return "\n".join(lines)


def _wrap(text: str, textwrap: Any) -> list[str]:
    return list(textwrap.wrap(text, width=100, initial_indent="    ", subsequent_indent="    "))


def describe_result(
    result: SimulationResult, within: int | None = None, origin: str | None = None
) -> str:
    """A readable summary of a run (`within`: as `SimulationResult.summary` takes it; `origin`: what
    month 0 is, when not the article's date)."""
    s = result.summary(within)
    w, m = s["within"], s["months"]
    origin = origin or "the article's date"
    se = 50 / math.sqrt(result.paths)

    def table(title: str, rows: list[tuple[str, float, float, str]], extra: str = "") -> list[str]:
        if w == m:  # one column: `within` is the horizon (two equal columns said nothing more)
            out = ["", f"{title:<34}{'by ' + str(m):>10}{extra}"]
            return out + [f"  {a:<32}{c:>10.1%}{'  ' + d if d else ''}" for a, _, c, d in rows]
        out = ["", f"{title:<34}{'by ' + str(w):>10}{'by ' + str(m):>10}{extra}"]
        out += [f"  {a:<32}{b:>10.1%}{c:>10.1%}{'  ' + d if d else ''}" for a, b, c, d in rows]
        return out

    overrides = ", ".join(f"{k}={v}" for k, v in s["overrides"].items()) or "none"
    shown = whole_percents([float(v) for v in s["start"].values()])  # adds up to 100
    start = ", ".join(f"{k} {p.replace(' ', '')}" for k, p in zip(s["start"], shown, strict=True))
    lines = [
        f"Scenario {s['scenario']!r}: {s['paths']:,} paths x {m} months from {origin} (month 0), "
        f"seed {s['seed']}",
        f"Overrides: {overrides}. Start: {start}.",
        *[
            f"Already {kind} at month 0 (share of paths): "
            + (", ".join(f"{k} {v:.0%}" for k, v in s[f"start_{kind}"].items()) or "none")
            for kind in ("transferred", "decided", "reached")
            if f"start_{kind}" in s
        ],
        f"Monte Carlo standard error at most {se:.2f} percentage points; parameter bands are "
        "sampled per path.",
    ]
    lines += table(
        # from a later date, a phase gone through since the pack's date counts as reached at month 0
        "Deployment phase reached (since the pack's date)"
        if "start_reached" in s
        else "Deployment phase reached",
        [(r["phase"], r["p_reached_within"], r["p_reached_horizon"], "") for r in s["phases"]],
    )
    lines += table(
        "Technology transfer (any in tier)",
        [(r["tier"], r["p_within"], r["p_horizon"], "") for r in s["transfers"]],
    )
    lines += table(
        "Response decided",
        [
            (
                f"{r['tier']} ({r['status'].replace('_', ' ')})",
                r["p_within"],
                r["p_horizon"],
                "-" if r["median_month"] is None else str(r["median_month"]),
            )
            for r in s["responses"]
        ],
        "  median month",
    )
    nevers = [
        f"{r['tier']} {r['never_share']:.0%} ({r['never_parameter']})"
        for r in s["responses"]
        if r["never_share"] is not None
    ]
    if nevers:
        lines.append("  never decided, by assumption (share of paths): " + ", ".join(nevers))
    ranked = sorted(s["level_at_horizon"].items(), key=lambda kv: -kv[1])
    level = ", ".join(f"{k} {v:.1%}" for k, v in ranked if v >= 0.0005)
    lines += ["", f"Highest response at month {m}: {level}"]
    changed = result.parameters.filter(result.parameters["origin"] != "pack")
    if changed.height:
        parts = [
            f"{r['id']}={r['value']:g}"
            + (f" in [{r['low']:g}, {r['high']:g}]" if r["sampled"] else "")
            + f" ({r['origin']})"
            for r in changed.iter_rows(named=True)
        ]
        lines.append("Set by scenario/overrides: " + ", ".join(parts))
    return "\n".join(line.rstrip() for line in lines)


def describe_track(result: TrackResult) -> str:
    """The assessment in a few tables: phases, transfers, decisions, what moved it, what to watch."""
    from toolkit.track.tracker import still_estimate

    days = (result.as_of - result.start).days
    # every observation reported by then, repeats included, as `observations_used` (--json) lists
    # them; a repeat moves nothing and is named under "Counted once"
    n_repeats = int(result.evidence["repeats"].is_not_null().sum())
    also = f", {n_repeats} of them a repeat counted once (below)" if n_repeats else ""
    lines = [
        f"As of {result.as_of} ({days} days after the article's date {result.start}), scenario "
        f"{result.scenario!r}: {len(result.observations_used)} observation(s) reported by then"
        f"{also}.",
        "",
        "Deployment phase (posterior)",
    ]
    lines += [f"  {k:<32}{v:>7.1%}" for k, v in result.phases.items()]
    lines += ["", "Technology transferred (probability)"]
    lines += [f"  {k:<32}{v:>7.1%}" for k, v in result.transferred.items()]
    lines += ["", "Response tier decided (probability)"]
    lines += [f"  {k:<32}{v:>7.1%}" for k, v in result.decided.items()]
    top = result.most_influential(5)
    if top.height:
        lines += ["", "Observations that moved it most (shift of the estimate without each)"]
        width = max(24, *(len(str(i)) + 2 for i in top["id"]))  # an id never runs into its date
        for r in top.iter_rows(named=True):
            sign = "" if r["present"] else "absent: "
            grade = f"{r['reliability']}{r['credibility']}"
            source = " ".join(str(r["source"]).split())  # one line, whatever the log holds
            lines.append(
                f"  {r['id']:<{width}}{r['applied']!s:<12}{sign}{r['target_kind']} {r['target']} "
                f"[{grade}] {r['influence']:.3f}  {source}"
            )
    repeats = result.evidence.filter(result.evidence["repeats"].is_not_null())
    if repeats.height:
        lines += ["", "Counted once (same source, target and window as a report already applied)"]
        lines += [f"  {a} repeats {b}" for a, b in repeats.select("id", "repeats").iter_rows()]
    joint = result.evidence.filter(result.evidence["one_report"].is_not_null())
    if joint.height:
        lines += ["", "One report (same source, sentence and day): read together with the first"]
        lines += [f"  {a} with {b}" for a, b in joint.select("id", "one_report").iter_rows()]
    watch = result.watch.filter(~result.watch["seen"]).head(5)
    still = still_estimate(result)
    if still is not None:
        lines += ["", f"What to watch: {still}"]
    elif watch.height:
        lines += [
            "",
            "What to watch (not yet seen; shift of the phase estimate if a B2 source reported it)",
        ]
        lines += [
            f"  {r['indicator']:<36}{r['phase']!s:<22}{r['shift_if_seen']:.3f}"
            for r in watch.iter_rows(named=True)
        ]
    return "\n".join(lines)
