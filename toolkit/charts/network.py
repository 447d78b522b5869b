"""The actor network chart: who the article names and how they relate.

`chart_actor_network` draws entities as nodes and relations (and affiliations) as edges; `network_layout`
places the nodes (networkx ForceAtlas2, cached on disk) and `_labels_below` keeps their labels apart.
"""

from __future__ import annotations

import math
import textwrap
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Final, Literal, cast

import altair as alt
import numpy as np
import polars as pl

from toolkit.cache import cached_json
from toolkit.charts.theme import (
    NEUTRAL,
    OKABE_ITO,
    category_colours,
    enum_categories,
    order_of,
    plain,
    scale_domain,
    short_name,
    titled,
)

if TYPE_CHECKING:
    from toolkit.pack.load import Pack

AFFILIATION = "affiliation"
# Edge colours: dark, saturated and distinct from the node fills; the dash pattern carries the same
# information for readers who cannot tell the colours apart.
_MODALITY_STYLE: dict[str, tuple[str, list[float]]] = {
    "asserted": ("#333333", [1, 0]),
    "possible": ("#0072B2", [6, 3]),
    "conditional": ("#882255", [2, 2]),
    "planned": ("#117733", [8, 3, 2, 3]),
    "denied": ("#D55E00", [12, 4]),
    AFFILIATION: (NEUTRAL, [1, 0]),
}
_KIND_SHAPES = ("circle", "square", "diamond", "triangle-up", "cross", "triangle-down")


def _node_label(name: str) -> str:
    """A short name wrapped on two lines at most (Vega breaks text on newlines)."""
    return "\n".join(textwrap.wrap(short_name(name), width=28, max_lines=2, placeholder="…"))


def network_layout(pack: Pack, *, seed: int = 0, tries: int = 4) -> dict[str, tuple[float, float]]:
    """Node positions for the actor network, scaled to [-1, 1]; deterministic for a seed.

    networkx's ForceAtlas2 (LinLog mode, strong gravity) keeps hubs apart and pulls leaves in; relations
    and affiliations both count as links. Of `tries` seeds from `seed` on, the layout with the fewest
    nodes close enough for their labels to collide is kept. The layout is a pure function of the graph
    and these settings, so it is cached on disk by them (`toolkit.cache`): ~0.5 s saved per report.
    """
    from importlib.metadata import version

    nodes = [str(n) for n in pack.entities["id"].to_list()]
    edges = [list(row) for row in pack.relations.select("subject", "object").iter_rows()]
    edges += [list(r) for r in pack.entities.select("id", "affiliation").drop_nulls().iter_rows()]
    key = {
        "nodes": nodes,
        "edges": edges,
        "seed": seed,
        "tries": tries,
        "networkx": version("networkx"),
        "layout": "forceatlas2-linlog-400-v1",
    }
    raw = cached_json("network-layout", key, lambda: _compute_layout(nodes, edges, seed, tries))
    return {str(n): (float(x), float(y)) for n, (x, y) in raw.items()}


def _compute_layout(
    nodes: list[str], edges: list[list[str]], seed: int, tries: int
) -> dict[str, tuple[float, float]]:
    import networkx as nx  # ~0.9 s: loaded only when a layout is computed

    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((a, b) for a, b in edges)
    best: tuple[int, dict[str, tuple[float, float]]] | None = None
    for s in range(seed, seed + tries):
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = nx.forceatlas2_layout(
                graph,
                seed=s,
                max_iter=400,
                scaling_ratio=2.0,
                gravity=3.0,
                linlog=True,
                node_size=dict.fromkeys(graph, 0.5),
            )
        pos = {
            str(n): (float(xy[0]), float(xy[1]))
            for n, xy in nx.rescale_layout_dict(raw, scale=1.0).items()
        }
        crowding = _crowding(pos)
        if best is None or crowding < best[0]:
            best = (crowding, pos)
    assert best is not None
    return best[1]


def _crowding(pos: dict[str, tuple[float, float]]) -> int:
    """Pairs of nodes whose labels would overlap (labels are wide and short)."""
    xy = np.array(list(pos.values()))
    dx = np.abs(xy[:, None, 0] - xy[None, :, 0])
    dy = np.abs(xy[:, None, 1] - xy[None, :, 1])
    return int(((dx < 0.35) & (dy < 0.07)).sum() - len(xy)) // 2


def _edge_rows(
    pack: Pack, pos: dict[str, tuple[float, float]], names: dict[str, str]
) -> list[dict[str, Any]]:
    edges: list[dict[str, Any]] = [
        {
            "source": s,
            "target": t,
            "predicate": p,
            "modality": str(m),
            "evidence": ev,
            "assumption": f"analyst's inference: {a}" if a else None,
        }
        for s, p, t, m, ev, a in pack.relations.select(
            "subject", "predicate", "object", "modality", "evidence", "assumption"
        ).iter_rows()
    ]
    edges += [
        {
            "source": e,
            "target": a,
            "predicate": "belongs-to",
            "modality": AFFILIATION,
            "evidence": None,
            "assumption": None,
        }
        for e, a in pack.entities.select("id", "affiliation").drop_nulls().iter_rows()
    ]
    # parallel edges between the same two nodes are fanned out sideways so each stays visible
    groups: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
    for edge in edges:
        groups[frozenset((edge["source"], edge["target"]))].append(edge)
    rows: list[dict[str, Any]] = []
    for group in groups.values():
        for i, edge in enumerate(group):
            (x1, y1), (x2, y2) = pos[edge["source"]], pos[edge["target"]]
            dx, dy = x2 - x1, y2 - y1
            length = math.hypot(dx, dy) or 1.0
            ux, uy = dx / length, dy / length
            shift = (i - (len(group) - 1) / 2) * 0.025
            # perpendicular offset, same side for both directions of a pair
            sign = 1.0 if edge["source"] < edge["target"] else -1.0
            ox, oy = -uy * shift * sign, ux * shift * sign
            head = max(length - 0.07, length * 0.5)  # stop short of the target marker
            rows.append(
                {
                    **edge,
                    "from": names[edge["source"]],
                    "to": names[edge["target"]],
                    "x": x1 + ox,
                    "y": y1 + oy,
                    "x2": x2 + ox,
                    "y2": y2 + oy,
                    "hx": x1 + ux * head + ox,
                    "hy": y1 + uy * head + oy,
                    "mx": x1 + dx / 2 + ox,
                    "my": y1 + dy / 2 + oy,
                    # Vega's angle is clockwise from "up"; x and y scales are equal, so this holds
                    "angle": math.degrees(math.atan2(ux, uy)) % 360,
                }
            )
    return rows


def chart_actor_network(pack: Pack, *, seed: int = 0, size: int = 620) -> alt.LayerChart:
    """The article's actors and how they relate.

    Nodes are entities (shape and colour by kind, size by mentions in the article), edges are
    relations (colour and dash by modality: asserted, possible, conditional, planned, denied; grey =
    affiliation), with an arrowhead at the object. Positions come from a networkx spring layout.
    """
    pos = network_layout(pack, seed=seed)
    ents = pack.entities
    names = {i: short_name(n) for i, n in ents.select("id", "name").iter_rows()}
    kinds = order_of(ents, "kind")
    modalities = [*enum_categories(pack.relations.schema["modality"]), AFFILIATION]
    nodes = plain(
        ents.select(
            "id",
            pl.col("name").map_elements(_node_label, return_dtype=pl.String).alias("label"),
            "name",
            "kind",
            # vega-tooltip makes a field named "title" the tooltip's heading ("null" without one)
            pl.col("title").alias("role"),
            "mention_count",
            "evidence",
        ).with_columns(
            x=pl.col("id").replace_strict(
                {k: v[0] for k, v in pos.items()}, return_dtype=pl.Float64
            ),
            y=pl.col("id").replace_strict(
                {k: v[1] for k, v in pos.items()}, return_dtype=pl.Float64
            ),
        ),
        digits=4,
    )
    edges = plain(pl.DataFrame(_edge_rows(pack, pos, names)), digits=4)

    lo = min(min(x, y) for x, y in pos.values()) - 0.15
    hi = max(max(x, y) for x, y in pos.values()) + 0.15
    below = _labels_below(nodes, lo, hi, size)  # where each label goes (see the labels below)
    nodes = nodes.with_columns(pl.Series("below", below, dtype=pl.Boolean))
    xs = alt.Scale(domain=[lo, hi], nice=False, zero=False)
    ys = alt.Scale(domain=[lo, hi], nice=False, zero=False)
    no_axis = None
    edge_scale = alt.Scale(domain=modalities, range=[_MODALITY_STYLE[m][0] for m in modalities])
    modality_colour = alt.Color(
        "modality:N",
        title="Relation (modality)",
        scale=edge_scale,
        sort=modalities,
        legend=alt.Legend(orient="bottom", direction="horizontal", columns=3, symbolType="stroke"),
    )
    modality_dash = alt.StrokeDash(
        "modality:N",
        scale=alt.Scale(domain=modalities, range=[_MODALITY_STYLE[m][1] for m in modalities]),
        sort=modalities,
        legend=alt.Legend(orient="bottom", direction="horizontal", columns=3),
        title="Relation (modality)",
    )
    edge_tip = [
        alt.Tooltip("from:N", title="subject"),
        alt.Tooltip("predicate:N"),
        alt.Tooltip("to:N", title="object"),
        alt.Tooltip("modality:N"),
        alt.Tooltip("evidence:N", title="article"),
        alt.Tooltip("assumption:N", title="not in the article"),
    ]
    base_e = alt.Chart(edges)
    lines = base_e.mark_rule(strokeWidth=1.4, opacity=0.85).encode(
        x=alt.X("x:Q", scale=xs, axis=no_axis),
        y=alt.Y("y:Q", scale=ys, axis=no_axis),
        x2=alt.X2("x2:Q"),
        y2=alt.Y2("y2:Q"),
        color=modality_colour,
        strokeDash=modality_dash,
        tooltip=edge_tip,
    )
    heads = (
        base_e.transform_filter(alt.datum.modality != AFFILIATION)
        .mark_point(shape="triangle-up", filled=True, size=45, opacity=0.9)
        .encode(
            x=alt.X("hx:Q", scale=xs, axis=no_axis),
            y=alt.Y("hy:Q", scale=ys, axis=no_axis),
            angle=alt.Angle("angle:Q", scale=None),
            # the same colour channel as the lines, legend included: a layer without the legend
            # conflicts with theirs (a warning in the browser's console); the legends merge
            color=modality_colour,
            tooltip=edge_tip,
        )
    )
    node_shape = alt.Shape(
        "kind:N",
        title="Entity kind",
        scale=scale_domain(kinds, range=list(_KIND_SHAPES[: len(kinds)])),
        sort=kinds,
        legend=alt.Legend(orient="right"),
    )
    points = (
        alt.Chart(nodes)
        .mark_point(filled=True, opacity=1, stroke="white", strokeWidth=1.2)
        .encode(
            x=alt.X("x:Q", scale=xs, axis=no_axis),
            y=alt.Y("y:Q", scale=ys, axis=no_axis),
            fill=alt.Fill(
                "kind:N",
                title="Entity kind",
                scale=scale_domain(kinds, range=list(_node_fills(len(kinds)))),
                sort=kinds,
                legend=alt.Legend(orient="right"),
            ),
            shape=node_shape,
            size=alt.Size(
                "mention_count:Q",
                title="Mentions in article",
                scale=alt.Scale(type="sqrt", range=[60, 520]),
                legend=alt.Legend(orient="right", values=_legend_values(nodes["mention_count"])),
            ),
            tooltip=[
                alt.Tooltip("name:N"),
                alt.Tooltip("kind:N"),
                alt.Tooltip("role:N", title="title"),
                alt.Tooltip("mention_count:Q", title="mentions"),
                alt.Tooltip("evidence:N", title="article"),
            ],
        )
    )
    # Each label sits above its node, or below it where that collides less with the labels placed
    # before it (bigger nodes first); a white halo keeps it readable over the edges. Vega's baseline
    # does not lift a multi-line text, so each line is its own layer.
    first = "split(datum.label, '\\n')[0]"
    second = "length(split(datum.label, '\\n')) > 1 ? split(datum.label, '\\n')[1] : null"
    last = "peek(split(datum.label, '\\n'))"
    placements: tuple[tuple[bool, str, int, Literal["top", "bottom"]], ...] = (
        # (is below, line expression, dy, baseline)
        (False, last, -8, "bottom"),
        (False, f"length(split(datum.label, '\\n')) > 1 ? {first} : null", -20, "bottom"),
        (True, first, 9, "top"),
        (True, second, 21, "top"),
    )
    labels = [
        alt.Chart(nodes)
        .transform_filter(f"{'' if is_below else '!'}datum.below")
        .transform_calculate(line=expr)
        .transform_filter("isValid(datum.line)")
        .mark_text(baseline=baseline, dy=dy, fontSize=10.5, color="#111111", **halo)
        .encode(
            x=alt.X("x:Q", scale=xs, axis=no_axis),
            y=alt.Y("y:Q", scale=ys, axis=no_axis),
            text=alt.Text("line:N"),
        )
        for halo in (LABEL_HALO, {})
        for is_below, expr, dy, baseline in placements
    ]
    return titled(
        alt.LayerChart(layer=[lines, heads, points, *labels]),
        "Who the article names and how they relate",
        "Nodes: entities by kind, sized by mentions; edges: relations, subject → object, styled by modality (grey: affiliation).",
        f"Source: entities.yaml, relations.yaml (each relation quotes the article; where the analyst infers a party, the tooltip says so). Layout: networkx ForceAtlas2 (seed {seed}); positions carry no meaning.",
        width=size,
        height=size,
    )


LABEL_HALO: Final[dict[str, Any]] = {
    "stroke": "white",
    "strokeWidth": 3,
    "strokeOpacity": 0.85,
    "strokeJoin": "round",
}
CHAR_PX = 6.0  # mean width of a 10.5 px label character
LINE_PX = 12.0


def _labels_below(nodes: pl.DataFrame, lo: float, hi: float, size: int) -> list[bool]:
    """For each node, whether its label goes below it: greedily, most-mentioned nodes first, the side
    whose label box overlaps less with the labels already placed and with the other nodes."""

    def px(v: float) -> float:
        return (v - lo) / (hi - lo) * size

    rows = nodes.select("label", "x", "y", "mention_count").rows()
    centres = [(px(x), size - px(y)) for _, x, y, _ in rows]
    placed: list[tuple[float, float, float, float]] = []
    below = [False] * len(rows)
    order = sorted(range(len(rows)), key=lambda i: (-rows[i][3], i))
    for i in order:
        text = str(rows[i][0]).split("\n")
        width = max(len(t) for t in text) * CHAR_PX
        height = len(text) * LINE_PX
        cx, cy = centres[i]
        boxes = {
            False: (cx - width / 2, cy - 8 - height, cx + width / 2, cy - 8),
            True: (cx - width / 2, cy + 9, cx + width / 2, cy + 9 + height),
        }

        def cost(box: tuple[float, float, float, float], me: int = i) -> float:
            hit = sum(_overlap(box, other) for other in placed)
            return hit + sum(
                _overlap(box, (x - 6, y - 6, x + 6, y + 6)) * 4
                for j, (x, y) in enumerate(centres)
                if j != me
            )

        side = cost(boxes[True]) < cost(boxes[False])
        below[i] = side
        placed.append(boxes[side])
    return below


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Area shared by two boxes (x0, y0, x1, y1)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _legend_values(counts: pl.Series) -> list[int]:
    lo, hi = int(cast(int, counts.min())), int(cast(int, counts.max()))
    return sorted({lo, (lo + hi) // 2, hi})


def _node_fills(n: int) -> list[str]:
    # sky blue, orange, green, yellow, purple, vermillion, ... : none of them the edge colours' dark ink
    order = [OKABE_ITO[i] for i in (4, 1, 2, 6, 5, 3, 0, 7)]
    return [*order, *category_colours(n)[len(order) :]][:n]
