"""`toolkit chart NAME --out FILE.png|svg`: render one chart to an image for slides (vl-convert, offline).

Kept free of heavy imports at module level: altair, vl-convert, polars and the engine load only when a
chart is made, so `toolkit --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from toolkit.engine.defaults import DEFAULT_MONTHS, DEFAULT_PATHS, DEFAULT_SCENARIO, DEFAULT_SEED
from toolkit.errors import ToolkitError, format_number, shown
from toolkit.files import check_output_file, write_atomic

if TYPE_CHECKING:
    from toolkit.pack.load import Pack

# name -> what it shows (the CLI's help lists these)
CHARTS: Final[dict[str, str]] = {
    "network": "actors and relations of the article (networkx layout)",
    "timeline": "events with their date precision",
    "claims": "estimative claims on the ICD 203 yardstick",
    "phases": "deployment phase probability month by month",
    "transfers": "cumulative technology-transfer probability by tier",
    "responses": "highest response tier decided, month by month",
    "policy": "policy table: phase x technology tier -> response tier",
    "tornado": (
        "sensitivity of P(outcome within 12 months) to each parameter; the outcome is pack.yaml's "
        "report.sensitivity_outcome, else the highest tier not ruled out (<= 5,000 paths a run)"
    ),
    "explorer": "precomputed grid with sliders (the image shows the starting slice)",
    "track": "the tracker's posterior over phases with the pack's observations (as of the last one)",
    "watch": "what we have seen and what to watch (indicators ranked by what a report would change)",
}
FORMATS: Final = (".png", ".svg")
MAX_SCALE: Final = 10.0  # a PNG 10 times the chart's size: beyond, an image of hundreds of MB
MIN_SCALE: Final = 0.1  # vl-convert panics below about 0.002 (an image of no pixels)


def chart_help() -> str:
    """One line per chart name, for `toolkit chart --help`."""
    return "; ".join(f"{name}: {what}" for name, what in CHARTS.items())


def build_chart(
    name: str,
    pack: Pack,
    *,
    scenario: str = DEFAULT_SCENARIO,
    paths: int = DEFAULT_PATHS,
    months: int = DEFAULT_MONTHS,
    seed: int = DEFAULT_SEED,
) -> Any:
    """The Altair chart called `name`, computing engine outputs where it needs them."""
    if name not in CHARTS:
        raise ToolkitError(f"unknown chart {shown(name)} (choose from: {', '.join(CHARTS)})")
    from toolkit import charts

    pack_charts: dict[str, Callable[[Pack], Any]] = {
        "network": charts.chart_actor_network,
        "timeline": charts.chart_event_timeline,
        "claims": charts.chart_claims,
    }
    if name in pack_charts:
        return pack_charts[name](pack)
    if name == "explorer":
        from toolkit.engine.grid import compute_explorer_grid

        grid = compute_explorer_grid(pack, scenario, paths=min(paths, 2_000), seed=seed)
        return charts.chart_explorer_grid(grid, pack)
    if name == "policy":
        return charts.chart_policy_table(_policy_table(pack, scenario), pack)
    if name == "tornado":
        return _tornado(pack, scenario, paths=paths, months=months, seed=seed)
    if name in ("track", "watch"):
        from toolkit.track.tracker import track

        tracked = track(pack, scenario=scenario)
        return (charts.chart_track if name == "track" else charts.chart_watch)(tracked, pack)
    from toolkit.engine.simulation import simulate

    result = simulate(pack, scenario, paths=paths, months=months, seed=seed)
    run_charts: dict[str, Callable[..., Any]] = {
        "phases": charts.chart_phases,
        "transfers": charts.chart_transfers,
        "responses": charts.chart_responses,
    }
    return run_charts[name](result, pack)


def _policy_table(pack: Pack, scenario: str) -> Any:
    from toolkit.engine.analysis import tabulate_policy

    return tabulate_policy(pack, scenario)


def _tornado(pack: Pack, scenario: str, *, paths: int, months: int, seed: int) -> Any:
    from toolkit import charts
    from toolkit.engine.analysis import compute_tornado
    from toolkit.engine.validate import RUN_LIMITS, check_whole

    within = min(12, check_whole("months", months, *RUN_LIMITS["months"]))
    table = compute_tornado(pack, None, within, scenario, paths=min(paths, 5_000), seed=seed)
    return charts.chart_tornado(table, pack=pack)


def export_chart(
    name: str,
    out: Path,
    *,
    pack_path: Path | None = None,
    scenario: str = DEFAULT_SCENARIO,
    paths: int = DEFAULT_PATHS,
    months: int = DEFAULT_MONTHS,
    seed: int = DEFAULT_SEED,
    scale: float = 2.0,
) -> Path:
    """Render chart `name` to `out` (.png or .svg); write atomically; return the path written."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ToolkitError(f"--out must end in .png or .svg, got {str(out)!r}")
    check_scale(scale)
    if name not in CHARTS:
        raise ToolkitError(f"unknown chart {shown(name)} (choose from: {', '.join(CHARTS)})")
    check_output_file(out)
    from toolkit.pack.load import load_pack

    pack = load_pack(pack_path)
    chart = build_chart(name, pack, scenario=scenario, paths=paths, months=months, seed=seed)
    data = render(chart.to_dict(), suffix, scale=scale)
    write_atomic(out, data)
    return out


def check_scale(scale: float) -> None:
    """The PNG scale factor is a number from MIN_SCALE to MAX_SCALE, or a one-line ToolkitError
    (vl-convert panics on 0, a tiny or negative number or nan, and prints a Rust backtrace)."""
    if not MIN_SCALE <= scale <= MAX_SCALE:  # nan too
        raise ToolkitError(
            f"--scale expects a number from {format_number(MIN_SCALE)} to "
            f"{format_number(MAX_SCALE)}, not {shown(scale)}"
        )


def render(spec: dict[str, Any], suffix: str, *, scale: float = 2.0) -> bytes:
    """A Vega-Lite spec as PNG or SVG bytes (vl-convert: bundled JavaScript, no network)."""
    import vl_convert as vlc

    try:
        if suffix == ".png":
            return bytes(vlc.vegalite_to_png(spec, scale=scale, allowed_base_urls=[]))
        return str(vlc.vegalite_to_svg(spec, allowed_base_urls=[])).encode("utf-8")
    except Exception as exc:  # vl-convert reports JavaScript errors as a plain ValueError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ToolkitError(f"could not render the chart: {first}") from exc
