"""Charts: every chart builds a valid Vega-Lite spec, keeps ladder order, names its source, inlines its data.

Model charts are tested on small frames built here (independent of the engine's numbers) and once on a
real engine run. A few charts are rendered to SVG/PNG with vl-convert (offline). Files go to tmp_path only.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
import pytest
import vl_convert as vlc

from toolkit import charts
from toolkit.charts.theme import MAX_ROWS, OKABE_ITO, THEME_NAME, order_of
from toolkit.cli.chart import CHARTS, build_chart, export_chart
from toolkit.engine.grid import ExplorerGrid, GridAxis
from toolkit.errors import ToolkitError
from toolkit.pack.load import Pack

# a ladder whose order is NOT alphabetical: an alphabetical sort anywhere would show up
LADDER = ["training", "westward", "rear", "frontline", "withdrawn"]
TIERS = ["conventional", "strategic"]
LEVELS = ["none", "diplomatic", "economic", "lethal", "troops"]


@dataclass(frozen=True)
class FakeResult:
    scenario: str
    paths: int
    months: int
    seed: int
    phases: pl.DataFrame
    transfers: pl.DataFrame
    transfer_tiers: pl.DataFrame
    responses: pl.DataFrame


def _grid(months: int, items: list[str], key: str) -> pl.DataFrame:
    rows = [
        (m, item, (i + 1 + m) / sum(j + 1 + m for j in range(len(items))))
        for m in range(months + 1)
        for i, item in enumerate(items)
    ]
    return pl.DataFrame(
        rows,
        schema={"month": pl.Int32, key: pl.Enum(items), "probability": pl.Float64},
        orient="row",
    )


@pytest.fixture(scope="module")
def fake() -> FakeResult:
    months = 12
    techs = ["satellite", "aircraft"]
    transfers = pl.DataFrame(
        [
            (m, t, tier, min(1.0, 0.05 * m * (k + 1)))
            for m in range(months + 1)
            for k, (t, tier) in enumerate(zip(techs, ["strategic", "conventional"], strict=True))
        ],
        schema={
            "month": pl.Int32,
            "technology": pl.Enum(techs),
            "tier": pl.Enum(TIERS),
            "probability": pl.Float64,
        },
        orient="row",
    )
    return FakeResult(
        scenario="baseline",
        paths=1000,
        months=months,
        seed=3,
        phases=_grid(months, LADDER, "phase"),
        transfers=transfers,
        transfer_tiers=_grid(months, TIERS, "tier"),
        responses=_grid(months, LEVELS, "level"),
    )


# -- spec helpers ------------------------------------------------------------------------------
def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _encodings(spec: dict[str, Any], field: str) -> list[dict[str, Any]]:
    """Every channel definition in the spec that encodes `field`."""
    found = []
    for node in _walk(spec):
        enc = node.get("encoding")
        if isinstance(enc, dict):
            found += [
                ch for ch in enc.values() if isinstance(ch, dict) and ch.get("field") == field
            ]
    return found


def _assert_ordered(spec: dict[str, Any], field: str, order: list[str]) -> None:
    """Every encoding of `field` with a sort or a scale domain uses exactly `order`."""
    channels = _encodings(spec, field)
    assert channels, f"{field} is not encoded"
    checked = 0
    for ch in channels:
        if "sort" in ch:
            assert ch["sort"] == order
            checked += 1
        domain = ch.get("scale", {}).get("domain")
        if domain is not None:
            assert domain == order
            checked += 1
    assert checked, f"{field}: no explicit sort or domain"


def _caption(spec: dict[str, Any]) -> str:
    title = spec["title"]
    assert title["text"]
    return " ".join(title["subtitle"])


def _datasets(spec: dict[str, Any]) -> list[Any]:
    """Inline data: the top-level datasets and any `values` left in place."""
    found = list(spec.get("datasets", {}).values())
    found += [n["values"] for n in _walk(spec) if "values" in n and "mark" not in n]
    return found


def _rows(spec: dict[str, Any]) -> list[int]:
    """Row counts of every inline dataset (a CSV string counts its lines, less the header)."""
    return [
        len(v) if isinstance(v, list) else len(str(v).strip().splitlines()) - 1
        for v in _datasets(spec)
    ]


def _check_common(spec: dict[str, Any]) -> None:
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
    assert all(n <= MAX_ROWS for n in _rows(spec))
    for node in _walk(spec):
        assert "url" not in node, "data must be inline, not fetched"
    assert spec["config"]["range"]["category"] == list(OKABE_ITO)  # the toolkit theme is applied


# -- theme -------------------------------------------------------------------------------------
def test_theme_is_registered_not_enabled() -> None:
    """Each chart carries the theme (see `_check_spec`); the session's active theme is not changed
    (tests/test_import_effects.py checks it in a fresh interpreter)."""
    assert THEME_NAME in alt.theme.names()
    assert alt.theme.active != THEME_NAME


def test_order_of_uses_enum_order_not_alphabetical() -> None:
    frame = pl.DataFrame({"x": pl.Series(["rear", "training"], dtype=pl.Enum(LADDER))})
    assert order_of(frame, "x") == LADDER
    with pytest.raises(ValueError, match="not in the declared order"):
        order_of(pl.DataFrame({"x": ["bogus"]}), "x", fallback=LADDER)


# -- pack charts -------------------------------------------------------------------------------
def test_actor_network(pack: Pack) -> None:
    spec = charts.chart_actor_network(pack).to_dict()
    _check_common(spec)
    assert "entities.yaml" in _caption(spec)
    assert "networkx" in _caption(spec)
    kinds = order_of(pack.entities, "kind")
    _assert_ordered(spec, "kind", kinds)
    modalities = [*order_of(pack.relations, "modality"), "affiliation"]
    _assert_ordered(spec, "modality", modalities)
    nodes = [d for d in spec["datasets"].values() if d and "mention_count" in d[0]]
    assert len(nodes) == 1
    assert {n["id"] for n in nodes[0]} == set(pack.entities["id"])
    assert all(-1.5 < n["x"] < 1.5 and -1.5 < n["y"] < 1.5 for n in nodes[0])
    edges = next(d for d in spec["datasets"].values() if d and "predicate" in d[0])
    inferred = [e for e in edges if e["assumption"]]
    assert {(e["source"], e["target"]) for e in inferred} == {
        ("russia", "june_agreement"),
        ("north_korea", "june_agreement"),
    }
    assert all(e["assumption"].startswith("analyst's inference: ") for e in inferred)
    tooltips = json.dumps(spec)
    assert '"title": "not in the article"' in tooltips


def test_network_labels_move_below_a_node_to_avoid_a_collision() -> None:
    from toolkit.charts.network import _labels_below

    nodes = pl.DataFrame(
        {
            "label": ["Russia", "Russia–North Korea\nComprehensive Strategic…", "Japan"],
            "x": [0.0, 0.1, 0.9],
            "y": [0.0, 0.0, -0.9],
            "mention_count": [10, 2, 3],
        }
    )
    # side by side, the agreement's label would sit on Russia's: it goes below; Japan stays above
    assert _labels_below(nodes, -1.2, 1.2, 620) == [False, True, False]


def test_network_layout_is_deterministic(pack: Pack) -> None:
    from toolkit.charts.network import network_layout

    assert network_layout(pack, seed=5, tries=1) == network_layout(pack, seed=5, tries=1)


def test_event_timeline_shows_precision(pack: Pack) -> None:
    spec = charts.chart_event_timeline(pack).to_dict()
    _check_common(spec)
    assert "events.yaml" in _caption(spec)
    marks = [n["mark"]["type"] for n in _walk(spec) if isinstance(n.get("mark"), dict)]
    assert "point" in marks  # day precision
    assert "bar" in marks  # month precision, drawn over the month
    (events,) = [d for d in spec["datasets"].values() if d and "precision" in d[0]]
    june = next(e for e in events if e["id"] == "june_agreement_signed")
    assert (june["precision"], june["date"], june["bar_end"]) == (
        "month",
        "2024-06-01",
        "2024-07-01",
    )
    order = [e["id"] for e in sorted(events, key=lambda e: (e["date"], e["bar_end"], e["id"]))]
    _assert_ordered(spec, "id", order)
    # a date label never runs off the left of a narrow plot: there it goes right of its bar
    dated = [n["mark"] for n in _walk(spec) if _is_mark(n, "text") and "expr" in str(n["mark"])]
    assert dated
    for text in dated:
        assert "scale('x', datum.date) < 64" in text["align"]["expr"]
        assert "scale('x', datum.bar_end)" in text["dx"]["expr"]


def _is_mark(node: dict, kind: str) -> bool:
    mark = node.get("mark")
    return isinstance(mark, dict) and mark.get("type") == kind


def test_claims_chart_thins_its_axis_labels_in_a_narrow_plot(pack: Pack) -> None:
    spec = charts.chart_claims(pack).to_dict()
    axes = [n["axis"] for n in _walk(spec) if isinstance(n.get("axis"), dict)]
    overlap = [a["labelOverlap"] for a in axes if "labelOverlap" in a]
    assert overlap
    assert all(o == {"expr": "width < 300 ? 'greedy' : false"} for o in overlap)
    (top,) = [a for a in axes if a.get("orient") == "top"]
    assert top["labelAngle"] == {"expr": "width < 300 ? -90 : -30"}


def test_claims_on_icd203_yardstick(pack: Pack) -> None:
    spec = charts.chart_claims(pack).to_dict()
    _check_common(spec)
    assert "ICD 203" in _caption(spec)
    (bands,) = [d for d in spec["datasets"].values() if d and "mid" in d[0]]
    assert [b["id"] for b in bands] == order_of(pack.yardstick, "id")
    (claims,) = [d for d in spec["datasets"].values() if d and "vague" in d[0]]
    with_phrase = pack.claims.filter(pl.col("phrase").is_not_null())
    assert len(claims) == with_phrase.height
    may = next(c for c in claims if c["id"] == "c_may_receive_strategic")
    likely = next(c for c in claims if c["id"] == "c_linked_to_agreement")
    assert may["vague"]
    assert may["word"] == "“may” (vague)"
    assert not likely["vague"]
    assert (likely["low"], likely["high"]) == (0.55, 0.8)
    # vague words are drawn differently (hollow + dashed)
    (fill,) = _encodings(spec, "kind")[:1]
    assert fill["scale"]["range"] == [0.85, 0.0]


# -- model charts on small frames --------------------------------------------------------------
def test_phases_keep_ladder_order(fake: FakeResult) -> None:
    spec = charts.chart_phases(fake).to_dict()
    _check_common(spec)
    _assert_ordered(spec, "phase", LADDER)
    assert "Analyst assumptions" in _caption(spec)
    assert "1,000 simulated paths" in _caption(spec)
    assert _encodings(spec, "probability")[0]["stack"] == "zero"
    # stack order follows the ladder (rank 0 = first phase), not the alphabet
    ranks = [n["calculate"] for n in _walk(spec) if n.get("as") == "rank"]
    assert ranks == [f'indexof({json.dumps(LADDER)}, datum["phase"])']
    assert _encodings(spec, "rank")[0]["sort"] == "descending"


def test_transfers_keep_tier_order(fake: FakeResult) -> None:
    spec = charts.chart_transfers(fake).to_dict()
    _check_common(spec)
    _assert_ordered(spec, "tier", TIERS)
    assert "Analyst assumptions" in _caption(spec)


def test_responses_keep_level_order_none_first(fake: FakeResult) -> None:
    spec = charts.chart_responses(fake).to_dict()
    _check_common(spec)
    _assert_ordered(spec, "level", LEVELS)
    colour = next(c for c in _encodings(spec, "level") if "scale" in c)
    assert colour["scale"]["range"][0] == "#BBBBBB"  # none is neutral grey
    assert len(set(colour["scale"]["range"])) == len(LEVELS)


def test_model_charts_use_pack_labels(pack: Pack) -> None:
    from toolkit.engine.simulation import simulate

    result = simulate(pack, "baseline", paths=300, months=6, seed=1)
    phases = [str(p) for p in pack.phases["id"]]
    spec = charts.chart_phases(result, pack).to_dict()
    _assert_ordered(spec, "phase", phases)
    legend = next(c for c in _encodings(spec, "phase") if "legend" in c)["legend"]
    assert pack.phases["label"][0] in legend["labelExpr"]
    levels = ["none", *[str(t) for t in pack.response_tiers["id"]]]
    _assert_ordered(charts.chart_responses(result, pack).to_dict(), "level", levels)
    tiers = [str(t) for t in pack.tech_tiers["id"]]
    _assert_ordered(charts.chart_transfers(result, pack).to_dict(), "tier", tiers)


def test_model_charts_mark_the_analysts_readings(pack: Pack) -> None:
    """Phases and tiers resting on an assumption carry † in legends and axes; the caption says what
    † means. Quoted-only rows carry none."""
    from toolkit.engine.analysis import tabulate_policy
    from toolkit.engine.simulation import simulate

    result = simulate(pack, "baseline", paths=300, months=6, seed=1)
    phases = json.dumps(charts.chart_phases(result, pack).to_dict(), ensure_ascii=False)
    assert "Combat on Russian soil †" in phases
    assert "Adaptation training in eastern Russia †" not in phases
    assert "† the analyst's reading, not the article's words" in phases
    responses = json.dumps(charts.chart_responses(result, pack).to_dict(), ensure_ascii=False)
    assert "Personnel or troops for Ukraine (ruled out) †" in responses
    assert "Lethal weapons for Ukraine †" in responses
    assert "Diplomatic pressure †" not in responses
    policy = charts.chart_policy_table(tabulate_policy(pack, "baseline"), pack).to_dict()
    text = json.dumps(policy, ensure_ascii=False)
    assert "Lethal weapons for Ukraine †" in text
    assert "† the analyst's reading" in text


def test_month_axis_reads_as_calendar_months_with_a_pack(pack: Pack, fake: FakeResult) -> None:
    """Month 0 is the pack's publication date (27 Oct 2024): ticks read "Oct 2024", "Apr 2025"..."""
    from toolkit.engine.simulation import simulate

    result = simulate(pack, "baseline", paths=300, months=12, seed=1)
    for chart in (charts.chart_phases, charts.chart_transfers, charts.chart_responses):
        spec = chart(result, pack).to_dict()
        months = [e for e in _encodings(spec, "month") if "axis" in e]
        assert months
        for enc in months:
            assert "datetime(2024, 9 + datum.value, 1)" in enc["axis"]["labelExpr"]
            assert enc["axis"]["title"].startswith("Month (month 0 = October 2024")
        svg = vlc.vegalite_to_svg(spec)
        assert ">Oct 2024<" in svg
    no_pack = charts.chart_phases(fake).to_dict()  # without a pack: plain month numbers
    assert all("labelExpr" not in e.get("axis", {}) for e in _encodings(no_pack, "month"))


def test_policy_table_heatmap_order(pack: Pack) -> None:
    tiers = ["none", *TIERS]
    rows = [
        (p, t, LEVELS[min(i + j, len(LEVELS) - 1)])
        for i, p in enumerate(LADDER)
        for j, t in enumerate(tiers)
    ]
    table = pl.DataFrame(
        rows,
        schema={
            "phase": pl.Enum(LADDER),
            "transferred": pl.Enum(tiers),
            "response": pl.Enum(LEVELS),
        },
        orient="row",
    )
    spec = charts.chart_policy_table(table).to_dict()
    _check_common(spec)
    _assert_ordered(spec, "phase", LADDER)
    _assert_ordered(spec, "transferred", tiers)
    _assert_ordered(spec, "response", LEVELS)
    assert "responses.yaml" in _caption(spec)


def test_tornado_sorted_by_swing() -> None:
    table = pl.DataFrame(
        {
            "parameter": ["a", "b", "c", "d"],
            "label": ["A small", "B big", "C middle", "D none"],
            "low": [0.0, 0.1, 1.0, 0.0],
            "high": [1.0, 0.5, 9.0, 1.0],
            "outcome_low": [0.40, 0.10, 0.30, 0.42],
            "outcome_high": [0.45, 0.90, 0.60, 0.42],
            "baseline": [0.42] * 4,
        }
    )
    spec = charts.chart_tornado(table, "lethal aid within 12 months").to_dict()
    _check_common(spec)
    _assert_ordered(spec, "parameter", ["b", "c", "a"])
    axis = next(e["axis"] for e in _encodings(spec, "parameter") if "axis" in e)
    assert _shown_labels(axis["labelExpr"]) == ["B big", "C middle", "A small"]
    assert "lethal aid within 12 months" in spec["title"]["text"]
    assert "parameters.yaml" in _caption(spec)
    assert "1 parameter with a smaller or no effect is not shown" in _caption(spec)


def _shown_labels(expr: str) -> list[Any]:
    """The labels a `label_expr` shows, in the order of its keys (a JSON literal opens it)."""
    return json.JSONDecoder().raw_decode(expr.lstrip("("))[0]


def _relabel(pack_dir: Path, file: str, *renames: tuple[str, str]) -> Pack:
    """The pack copy with the `label:` lines of `file` changed (old -> new), loaded."""
    from toolkit.pack.load import load_pack

    path = pack_dir / file
    text = path.read_text(encoding="utf-8")
    for old, new in renames:
        assert f"label: {old}\n" in text, old
        text = text.replace(f"label: {old}\n", f"label: {json.dumps(new)}\n")
    path.write_text(text, encoding="utf-8")
    return load_pack(pack_dir)


def test_rows_are_keyed_by_id_so_records_sharing_a_label_keep_their_own_rows(
    pack_dir: Path,
) -> None:
    """Found in a bug hunt: the tornado and the event timeline keyed their rows by label, and labels
    need not be unique: two parameters labelled alike were drawn on one row (one's bars over the
    other's, a row gone), two events labelled alike on one row. Rows are ids; the labels show."""
    same = "Move to combat in Ukraine (rate per month)"
    table = pl.DataFrame(
        {
            "parameter": ["a", "b", "c"],
            "label": [same, same, "C"],
            "low": [0.0, 0.1, 1.0],
            "high": [1.0, 0.5, 9.0],
            "outcome_low": [0.40, 0.10, 0.30],
            "outcome_high": [0.50, 0.90, 0.60],
            "baseline": [0.42] * 3,
        }
    )
    spec = charts.chart_tornado(table, "lethal aid").to_dict()
    _assert_ordered(spec, "parameter", ["b", "c", "a"])
    axis = next(e["axis"] for e in _encodings(spec, "parameter") if "axis" in e)
    assert _shown_labels(axis["labelExpr"]) == [same, "C", same]
    svg = vlc.vegalite_to_svg(spec)
    assert svg.count(">Move to combat in Ukraine (rate per month)<") == 2
    pack = _relabel(
        pack_dir,
        "events.yaml",
        ("Shin–Sullivan bilateral meeting on scenarios and response measures", "Bilateral meeting"),
        (
            "Yoon–Duda summit and joint press conference (Duda's state visit to South Korea)",
            "Bilateral meeting",
        ),
    )
    spec = charts.chart_event_timeline(pack).to_dict()
    ids = [str(i) for i in pack.events.sort("date", "id")["id"]]
    axis = next(e for e in _encodings(spec, "id") if "axis" in e)
    assert sorted(axis["sort"]) == sorted(ids)  # one row per event
    assert _shown_labels(axis["axis"]["labelExpr"]).count(["Bilateral meeting"]) == 2
    assert vlc.vegalite_to_svg(spec).count(">Bilateral meeting<") == 2


def test_policy_table_caps_a_long_label_at_three_lines(pack_dir: Path) -> None:
    """Found in a bug hunt: a long phase label (within the pack's 300-character limit) wrapped into
    as many lines as it took and overprinted the rows above and below; it stops at three lines
    with an ellipsis, as the cells' text does."""
    from toolkit.engine.analysis import tabulate_policy

    long = "Adaptation training in eastern Russia, " * 5  # ~195 characters
    pack = _relabel(pack_dir, "phases.yaml", ("Adaptation training in eastern Russia", long))
    spec = charts.chart_policy_table(tabulate_policy(pack), pack).to_dict()
    for field in ("phase", "transferred"):
        axis = next(e["axis"] for e in _encodings(spec, field) if "axis" in e)
        lines = _shown_labels(axis["labelExpr"])
        assert all(1 <= len(label) <= 3 for label in lines)
    phases = _shown_labels(
        next(e["axis"] for e in _encodings(spec, "phase") if "axis" in e)["labelExpr"]
    )
    assert len(phases[0]) == 3
    assert phases[0][-1].endswith("…")


def test_engine_policy_table_and_tornado(pack: Pack) -> None:
    from toolkit.engine.analysis import compute_tornado, tabulate_policy

    spec = charts.chart_policy_table(tabulate_policy(pack), pack).to_dict()
    _check_common(spec)
    _assert_ordered(spec, "phase", [str(p) for p in pack.phases["id"]])
    _assert_ordered(spec, "transferred", ["none", *[str(t) for t in pack.tech_tiers["id"]]])
    (cells,) = [d for d in spec["datasets"].values() if d and "opened" in d[0]]
    assert len(cells) == pack.phases.height * (pack.tech_tiers.height + 1)
    table = compute_tornado(
        pack,
        "lethal_weapons",
        12,
        parameters=["lethal_will", "rate_westward_to_frontline", "transfer_strategic"],
        paths=300,
        seed=1,
    )
    spec = charts.chart_tornado(table, pack=pack).to_dict()
    _check_common(spec)
    assert "Lethal weapons for Ukraine by month 12" in spec["title"]["text"]


def test_the_tornado_caption_names_what_it_could_not_vary(pack: Pack) -> None:
    """A parameter left out for having no band or plausible range is named as such in the caption,
    not counted among those "with a smaller or no effect" (a bug hunt: the caption said "2
    parameters with a smaller or no effect are not shown" of two it never varied)."""
    from toolkit.engine.analysis import compute_tornado

    table = compute_tornado(
        pack, "lethal_weapons", 12, parameters=["lethal_will", "diplomatic_lag"], paths=300, seed=1
    )
    subtitle = " ".join(charts.chart_tornado(table, pack=pack).to_dict()["title"]["subtitle"])
    assert "Left out for having no band or plausible range: Diplomatic pressure, lag." in subtitle
    assert "smaller or no effect" not in subtitle
    table = compute_tornado(pack, "lethal_weapons", 12, paths=300, seed=1)
    subtitle = " ".join(charts.chart_tornado(table, pack=pack).to_dict()["title"]["subtitle"])
    assert "no band or plausible range: Diplomatic pressure, lag; Diplomatic" in subtitle
    varied = table.filter(pl.col("outcome_low").is_not_null()).height
    drawn = len(
        charts.chart_tornado(table, pack=pack).to_dict()["layer"][0]["encoding"]["y"]["sort"]
    )
    assert f" {varied - drawn} parameters with a smaller or no effect are not shown." in subtitle


def test_the_tornado_names_its_runs_and_fades_swings_within_noise(pack: Pack) -> None:
    """Found in a bug hunt: the tornado's dashed "the scenario" line came from its own 4,000-path runs,
    lay outside the report's interval for the same outcome, and nothing said so; swings of 0.1 point,
    below the noise of the level at that many paths, were drawn as effects. The caption now names the
    runs' paths and seed and says the line is their figure; a bar swinging less than 2 standard
    errors of the level is faded and the caption names that noise."""
    from toolkit.engine.analysis import compute_tornado

    table = compute_tornado(pack, "lethal_weapons", 12, paths=1_000, seed=7)
    spec = charts.chart_tornado(table, pack=pack).to_dict()
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "dashed line: the scenario in these runs of 1,000 simulated paths, seed 7" in subtitle
    assert "differs from it by Monte Carlo error" in subtitle
    base = table["baseline"][0]
    noise = 2 * (base * (1 - base) / 1_000) ** 0.5
    (bars,) = [d for d in spec["datasets"].values() if d and "within_noise" in d[0]]
    faded = {r["label"] for r in bars if r["within_noise"]}
    assert faded == {r["label"] for r in bars if r["swing"] < noise}
    assert faded  # some of each at 1,000 paths
    assert faded != {r["label"] for r in bars}
    assert f"(2 standard errors at 1,000 paths, {noise * 100:.1f} points)" in subtitle
    layer = spec["layer"][0]["encoding"]["opacity"]
    assert layer == {"condition": {"test": "datum.within_noise", "value": 0.3}, "value": 0.9}
    # a frame that does not say its paths (a hand-made one) is drawn as before, nothing faded
    plain = charts.chart_tornado(table.drop("paths", "seed"), pack=pack).to_dict()
    assert "simulated paths" not in " ".join(plain["title"]["subtitle"])
    (bars,) = [d for d in plain["datasets"].values() if d and "within_noise" in d[0]]
    assert not any(r["within_noise"] for r in bars)


# -- explorer ------------------------------------------------------------------------------------
def _small_grid() -> ExplorerGrid:
    troops = (5000.0, 10000.0, 15000.0)
    front = (0.1, 0.25, 0.5)  # not evenly spaced: a drop-down
    parts = []
    for t in troops:
        for f in front:
            for panel, items in (("phases", LADDER), ("transfers", TIERS), ("responses", LEVELS)):
                g = _grid(4, items, "series").with_columns(
                    pl.col("series").cast(pl.String),
                    pl.lit(panel).alias("panel"),
                    pl.lit(t).alias("troops"),
                    pl.lit(f).alias("p_front"),
                )
                parts.append(g)
    frame = (
        pl.concat(parts)
        .with_columns(
            pl.col("panel").cast(pl.Enum(["phases", "transfers", "responses"])),
            pl.col("series").cast(pl.Enum([*LADDER, *TIERS, *LEVELS])),
        )
        .select("troops", "p_front", "month", "panel", "series", "probability")
    )
    axes = (
        GridAxis("troops", "Troops", "troops", True, troops, 10000.0),
        GridAxis("p_front", "Westward → frontline", "probability/month", False, front, 0.25),
    )
    return ExplorerGrid(frame, axes, {"training": "Training"}, "baseline", 500, 4, 1)


def test_explorer_grid_sliders_and_inline_csv() -> None:
    grid = _small_grid()
    assert grid.series("phases") == LADDER
    spec = charts.chart_explorer_grid(grid).to_dict()
    _check_common(spec)
    params = {p["name"]: p for p in spec["params"]}
    troops, front = params["slider_troops"], params["slider_p_front"]
    assert troops["bind"]["input"] == "range"
    # max half a step past the top value (`test_a_slider_reaches_its_top_value`)
    assert (troops["bind"]["min"], troops["bind"]["max"], troops["bind"]["step"]) == (
        5000.0,
        17500.0,
        5000.0,
    )
    assert troops["value"] == 10000.0
    assert front["bind"]["input"] == "select"
    assert front["bind"]["options"] == [0.1, 0.25, 0.5]
    assert troops["bind"]["name"] == "Troops "  # the label names its unit: not repeated
    assert front["bind"]["name"] == "Westward → frontline (probability/month) "
    assert spec["data"]["format"]["type"] == "csv"
    (csv,) = [d for d in _datasets(spec) if isinstance(d, str)]
    header, *lines = csv.strip().splitlines()
    assert len(lines) == 3 * 3 * 5  # grid points x months
    columns = header.split(",")
    assert columns[:3] == ["troops", "p_front", "month"]
    assert columns[3:8] == [f"phases:{p}" for p in LADDER]  # ladder order, not alphabetical
    filters = [n["filter"] for n in _walk(spec) if isinstance(n.get("filter"), str)]
    assert filters
    assert all("slider_troops" in f and "slider_p_front" in f for f in filters)
    folds = [n["fold"] for n in _walk(spec) if "fold" in n]
    assert [f"phases:{p}" for p in LADDER] in folds
    assert "nothing is recomputed" in _caption(spec)


def test_default_explorer_grid_is_small(pack: Pack) -> None:
    from toolkit.engine.grid import compute_explorer_grid

    grid = compute_explorer_grid(pack, "baseline", paths=200, months=24, seed=1)
    assert [a.parameter for a in grid.axes] == ["troops", "rate_westward_to_frontline"]
    baseline = dict(zip(pack.parameters["id"], pack.parameters["value"], strict=True))
    assert grid.axes[0].default == baseline["troops"]
    spec = charts.chart_explorer_grid(grid).to_dict()
    size = len(json.dumps(spec, separators=(",", ":")))
    assert size < 90_000, size


def test_explorer_grid_keeps_the_runs_overrides_and_start_state(pack: Pack) -> None:
    """Every grid point keeps the report run's overrides and start state; the caption names them."""
    from toolkit.engine.grid import compute_explorer_grid

    grid = compute_explorer_grid(
        pack,
        "baseline",
        grid={"troops": (5_000, 15_000)},
        paths=200,
        months=3,
        seed=1,
        overrides={"lethal_will": 0.0, "rate_westward_to_frontline": 0.3},
        start={"westward_movement": 1.0},
    )
    month0 = grid.frame.filter(pl.col("month") == 0, pl.col("panel") == "phases")
    shares = dict(zip(month0["series"].cast(pl.String), month0["probability"], strict=True))
    assert shares["westward_movement"] == 1.0
    lethal = grid.frame.filter(pl.col("panel") == "responses", pl.col("series") == "lethal_weapons")
    assert lethal["probability"].max() == 0.0  # lethal_will 0 at every point
    caption = _caption(charts.chart_explorer_grid(grid).to_dict())
    assert "overrides: lethal_will = 0.0, rate_westward_to_frontline = 0.3" in caption
    assert "start: “Moving west toward Ukraine” 100%" in caption  # the phase in words


def test_explorer_grid_rejects_bad_grids(pack: Pack) -> None:
    from toolkit.engine.grid import compute_explorer_grid
    from toolkit.errors import ParameterError

    with pytest.raises(ParameterError, match="unknown parameter 'nope'"):
        compute_explorer_grid(pack, grid={"nope": [1, 2]}, paths=10, months=2)
    with pytest.raises(ParameterError, match="1 or 2 parameters"):
        compute_explorer_grid(pack, grid={}, paths=10, months=2)
    with pytest.raises(ParameterError, match="at most"):
        compute_explorer_grid(
            pack,
            grid={"troops": list(range(0, 8000, 1000)), "lethal_lag": list(range(8))},
            paths=10,
            months=2,
        )


# -- rendering and export ------------------------------------------------------------------------
def test_render_svg(pack: Pack, fake: FakeResult) -> None:
    for chart in (
        charts.chart_claims(pack),
        charts.chart_phases(fake),
        charts.chart_explorer_grid(_small_grid()),
    ):
        svg = vlc.vegalite_to_svg(chart.to_dict(), allowed_base_urls=[])
        assert svg.startswith("<svg")
        assert len(svg) > 5_000


def test_cli_exports_png_and_svg(tmp_path: Path) -> None:
    png = export_chart("timeline", tmp_path / "timeline.png", scale=1)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = export_chart("phases", tmp_path / "phases.svg", paths=500, months=6)
    assert svg.read_text(encoding="utf-8").startswith("<svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["phases.svg", "timeline.png"]


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ToolkitError, match=r"unknown chart 'pie' \(choose from: network"):
        export_chart("pie", tmp_path / "x.png")
    with pytest.raises(ToolkitError, match=r"--out must end in \.png or \.svg"):
        export_chart("claims", tmp_path / "x.pdf")
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    with pytest.raises(ToolkitError, match=r"cannot be written: .* is a file"):
        export_chart("claims", plain / "x.svg")
    assert list(tmp_path.iterdir()) == [plain]
    assert set(CHARTS) >= {"network", "timeline", "claims", "phases", "policy", "tornado"}


def test_cli_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from toolkit.cli.app import app

    out = tmp_path / "claims.svg"
    res = CliRunner().invoke(app, ["chart", "claims", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8").startswith("<svg")
    bad = CliRunner().invoke(app, ["chart", "nope", "--out", str(tmp_path / "n.png")])
    assert bad.exit_code == 2
    assert "unknown chart 'nope'" in bad.output
    assert len(bad.output.strip().splitlines()) == 1


# -- speed guard ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CHARTS))
def test_channels_are_built_as_classes(
    name: str, pack: Pack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every encoding channel is passed as an Altair class (`alt.X2("x:Q")`, `alt.ColorValue(...)`),
    never as a shorthand string or dict: Altair resolves those through the JSON schema, ~5 ms each,
    which made the report's chart cells several times slower."""
    from altair.utils import core
    from altair.utils.schemapi import SchemaBase

    wrap = core._ChannelCache._wrap_in_channel
    loose: list[str] = []

    def strict(self: Any, obj: Any, encoding: str) -> Any:
        if not isinstance(obj, SchemaBase | list | tuple):
            loose.append(f"{encoding}={obj!r:.60}")
        return wrap(self, obj, encoding)

    monkeypatch.setattr(core._ChannelCache, "_wrap_in_channel", strict)
    build_chart(name, pack, paths=300, months=6)
    assert not loose, f"chart {name!r} passes channels Altair must look up: {loose}"


def test_the_transfer_caption_says_how_the_pack_shares_a_tiers_hazard(pack: Pack) -> None:
    """It said "split equally ... their lines coincide" whatever the weights (found in a bug hunt)."""
    from toolkit.charts.model_charts import _split_words

    assert "by their weights; some may be paid up front" in _split_words(pack)
    frames = pack.frames  # the session's pack: put back as it was
    flat = pack.technologies.with_columns(weight=1.0, upfront=None)
    object.__setattr__(pack, "frames", {**frames, "technologies": flat})
    try:
        assert "split equally" in _split_words(pack)
    finally:
        object.__setattr__(pack, "frames", frames)


def test_expression_literals_escape_the_line_separators() -> None:
    """Valid in JSON, not in a JavaScript string: a label holding one made a chart's expression fail
    to parse (found in a bug hunt)."""
    import json

    from toolkit.charts.theme import expr_literal

    text = expr_literal(["a\u2028b", "c\u2029d", "é"])
    assert "\u2028" not in text
    assert "\u2029" not in text
    assert json.loads(text) == ["a\u2028b", "c\u2029d", "é"]


# -- colours -------------------------------------------------------------------------------------
# The colours of today's sizes: the shipped pack's charts keep theirs.
SEQUENTIAL_BEFORE = {
    1: ["#ec7014"],
    2: ["#fee391", "#662506"],
    3: ["#fee391", "#ec7014", "#662506"],
    4: ["#fee391", "#fe9929", "#cc4c02", "#662506"],
    5: ["#fee391", "#fe9929", "#ec7014", "#cc4c02", "#662506"],
    6: ["#fee391", "#fec44f", "#fe9929", "#cc4c02", "#993404", "#662506"],
    7: ["#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#993404", "#662506"],
}


@pytest.mark.parametrize("n", range(21))
def test_every_colour_of_a_scale_is_distinct(n: int) -> None:
    """A bug hunt's pack with 8 response tiers and 9 technology tiers: the ramp had 7 shades (two
    stacked response bands merged) and the categories 8 colours (the 9th tier took the first's)."""
    from toolkit.charts.theme import category_colours, category_scale, sequential_colours

    for colours in (sequential_colours(n), category_colours(n)):
        assert len(colours) == n
        assert len({c.lower() for c in colours}) == n, colours
        assert all(len(c) == 7 and c.startswith("#") for c in colours)
    scale = category_scale([f"c{i}" for i in range(max(n, 1))]).to_dict()
    assert len(set(scale["range"])) == max(n, 1)


def test_todays_sizes_keep_their_colours() -> None:
    from toolkit.charts.theme import TOL_MUTED, YLORBR, category_colours, sequential_colours

    for n, colours in SEQUENTIAL_BEFORE.items():
        assert sequential_colours(n) == colours
    assert category_colours(8) == list(OKABE_ITO)
    assert category_colours(9)[8] == TOL_MUTED[0]
    ramp = sequential_colours(12)  # interpolated, light to dark, between the ramp's ends
    assert ramp[0] == YLORBR[2]
    assert ramp[-1] == YLORBR[-1]
    light = [sum(int(c[k : k + 2], 16) for k in (1, 3, 5)) for c in ramp]
    assert light == sorted(light, reverse=True)


@pytest.mark.parametrize(("low", "high"), [(0.1, 0.43), (0.07, 0.91), (1e-4, 0.3), (3.0, 7.7)])
def test_a_slider_reaches_its_top_value(low: float, high: float) -> None:
    """A range slider steps in decimal from its min (Chromium's Decimal on the attributes as
    written): with max 0.42999999999999994 and step 0.08249999999999999 from a band 0.1-0.43, the
    top of five values was out of reach, so a fifth of the runs could never be shown (found in a
    bug hunt). Every grid value is now a value the slider can take, the top one included."""
    import itertools
    from decimal import Decimal

    from toolkit.engine.grid import GENERIC_VALUES, decimal_float

    step = (high - low) / (GENERIC_VALUES - 1)
    values = tuple(decimal_float(low + k * step) for k in range(GENERIC_VALUES))
    axis = GridAxis("p", "P", "probability/month", False, values, values[0])
    small = _small_grid()
    one = small.frame.filter((pl.col("troops") == 5000.0) & (pl.col("p_front") == 0.1))
    frame = pl.concat([one.drop("troops", "p_front").with_columns(p=pl.lit(v)) for v in values])
    grid = dataclasses.replace(small, frame=frame.select("p", pl.exclude("p")), axes=(axis,))
    bind = charts.chart_explorer_grid(grid).to_dict()["params"][0]["bind"]
    lo, hi, by = (Decimal(json.dumps(bind[k])) for k in ("min", "max", "step"))
    reachable = list(itertools.takewhile(lambda x: x <= hi, (lo + k * by for k in range(99))))
    assert len(reachable) == GENERIC_VALUES
    tolerance = min(b - a for a, b in itertools.pairwise(values)) / 2  # the slice filter's
    for value, stop in zip(values, reachable, strict=True):
        assert abs(float(stop) - value) < tolerance
    assert values[-1] == pytest.approx(high)


@pytest.mark.parametrize("n_levels", [2, 3, 4, 5])
def test_policy_table_text_contrasts_with_its_cell(n_levels: int) -> None:
    """White text went on the last three response levels whatever the ladder: right for the
    shipped seven, white on pale yellow for three, near-black on dark brown for two (found in a
    bug hunt). Each cell's text colour is the one of higher contrast with that cell's fill."""
    from toolkit.charts.theme import _luminance

    levels = LEVELS[:n_levels]
    rows = [(p, "none", levels[i % len(levels)]) for i, p in enumerate(LADDER)]
    table = pl.DataFrame(
        rows,
        schema={
            "phase": pl.Enum(LADDER),
            "transferred": pl.Enum(["none"]),
            "response": pl.Enum(levels),
        },
        orient="row",
    )
    spec = charts.chart_policy_table(table).to_dict()
    fills = dict(
        zip(
            spec["layer"][0]["encoding"]["color"]["scale"]["domain"],
            spec["layer"][0]["encoding"]["color"]["scale"]["range"],
            strict=True,
        )
    )
    colour = spec["layer"][1]["encoding"]["color"]
    white = set(colour["condition"]["test"]["oneOf"])
    assert colour["value"] == "#111111"
    assert colour["condition"]["value"] == "white"

    def contrast(a: str, b: str) -> float:
        hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    for level, fill in fills.items():
        text = "#FFFFFF" if level in white else "#111111"
        other = "#111111" if level in white else "#FFFFFF"
        assert contrast(text, fill) >= contrast(other, fill), (level, fill)


def test_explorer_names_series_in_words_and_marks_assumptions(pack: Pack) -> None:
    """The in-file explorer's tooltips showed internal keys ("phases:rear_support") and its legends
    dropped the † the other model charts give a label resting on an assumption (found in a bug
    hunt)."""
    from toolkit.charts.model_charts import JUDGED_MARK
    from toolkit.engine.grid import compute_explorer_grid

    grid = compute_explorer_grid(pack, paths=100, months=3, seed=1)
    spec = charts.chart_explorer_grid(grid, pack).to_dict()
    panels = spec["vconcat"]
    for panel in panels:
        (label,) = [t["calculate"] for t in panel["transform"] if t.get("as") == "label"]
        words = json.loads(label.removesuffix("[datum.series]"))
        assert all(":" not in w for w in words.values())  # words, not keys
        shown = [t["field"] for t in panel["encoding"]["tooltip"]]
        assert "series" not in shown
        assert "label" in shown
    judged = set(pack.phases.filter(pl.col("assumption").is_not_null())["id"].cast(pl.String))
    assert judged  # the shipped pack has phases resting on an assumption
    legend = json.dumps(panels[0]["encoding"]["color"]["legend"], ensure_ascii=False)
    assert JUDGED_MARK.strip() in legend
    assert "the analyst's reading" in " ".join(spec["title"]["subtitle"])
