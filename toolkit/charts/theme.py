"""The toolkit's chart theme and the helpers every chart shares.

One look for every chart: the Okabe–Ito colour-blind-safe palette for categories, a colour-blind-safe
sequential ramp for ordered ladders, quiet axes, titles that say what the chart shows and a caption line
(the title's subtitle) that names the source or the assumption. Importing this module registers the
`toolkit` Altair theme without enabling it: a session's other charts keep the theme it chose. Each
toolkit chart carries the theme's config itself (`titled`, the last step of every chart function,
calls `themed`), so its spec looks the same wherever it is rendered, whatever theme is active.
"""

from __future__ import annotations

import colorsys
import datetime as dt
import json
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeVar

import altair as alt
import polars as pl

THEME_NAME: Final = "toolkit"

# Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour-vision
# deficiencies. Black is left out of the category cycle (it is the text colour).
OKABE_ITO: Final[tuple[str, ...]] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#999999",  # grey
)
# Beyond Okabe–Ito's eight, categories take Paul Tol's "muted" scheme (also colour-blind aware;
# none of them one of the eight), then further hues (`category_colours`).
TOL_MUTED: Final[tuple[str, ...]] = (
    "#332288",  # indigo
    "#88CCEE",  # cyan
    "#44AA99",  # teal
    "#117733",  # green
    "#999933",  # olive
    "#DDCC77",  # sand
    "#CC6677",  # rose
    "#882255",  # wine
    "#AA4499",  # purple
)
NEUTRAL: Final = "#BBBBBB"  # "none" / no response / background
INK: Final = "#222222"
MUTED: Final = "#666666"
# Ordered ladders (response tiers) use ColorBrewer YlOrBr (Brewer, Harrower & Penn State), 9 classes:
# colour-blind safe and ordered in lightness for every colour-vision type; `none` stays neutral grey.
YLORBR: Final[tuple[str, ...]] = (
    "#ffffe5",
    "#fff7bc",
    "#fee391",
    "#fec44f",
    "#fe9929",
    "#ec7014",
    "#cc4c02",
    "#993404",
    "#662506",
)
FONT: Final = "Liberation Sans, Arial, Helvetica, sans-serif"
MAX_ROWS: Final = 5000  # Altair's default limit; charts aggregate well below it

WIDTH: Final = 560
HEIGHT: Final = 300
CAPTION_CHAR_PX: Final = 5.6  # average width of a character of an 11 px caption (Liberation Sans)


@alt.theme.register(THEME_NAME, enable=False)
def toolkit_theme() -> alt.theme.ThemeConfig:
    """The toolkit theme: Okabe–Ito categories, sequential ordinal ramp, quiet axes."""
    return {
        "config": {
            "font": FONT,
            "background": "white",
            "padding": 8,
            "view": {"stroke": None, "continuousWidth": WIDTH, "continuousHeight": HEIGHT},
            "title": {
                "anchor": "start",
                "fontSize": 15,
                "fontWeight": "bold",
                "color": INK,
                "subtitleFontSize": 11,
                "subtitleColor": MUTED,
                "subtitlePadding": 4,
                "offset": 10,
            },
            "axis": {
                "labelFontSize": 11,
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "titleColor": INK,
                "labelColor": INK,
                "gridColor": "#E6E6E6",
                "domainColor": "#888888",
                "tickColor": "#888888",
            },
            "legend": {
                "labelFontSize": 11,
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "orient": "right",
                "labelLimit": 260,
            },
            "range": {"category": list(OKABE_ITO)},
            "area": {"opacity": 0.9},
            "line": {"strokeWidth": 2},
            "text": {"font": FONT, "fontSize": 11, "color": INK},
        }
    }


# --------------------------------------------------------------------------------------------
ChartT = TypeVar("ChartT", alt.Chart, alt.LayerChart, alt.HConcatChart, alt.VConcatChart)


def themed(chart: ChartT) -> ChartT:
    """`chart` carrying the toolkit theme's config (under any config of its own), so the theme applies
    to this chart only, whichever theme the session has enabled. The result is a top-level chart: it
    can no longer be layered or concatenated (Vega-Lite keeps config at the top).

    The config stays a plain dict (Altair writes it into the spec as it is, and validates it with the
    rest of the spec when asked): `alt.Config.from_dict` would pick a schema class for every nested
    value by trial validation, ~50 ms a chart, for the same spec. Its keys are sorted as the schema
    classes' (alphabetical) arguments would order them, so the spec's JSON is the same, byte for byte.
    """
    return _with_theme(chart.copy(deep=False))


def _with_theme(chart: ChartT) -> ChartT:
    """`themed` on a chart of the caller's own (a fresh copy): its config is set in place."""
    import copy

    config: dict[str, Any] = copy.deepcopy(dict(toolkit_theme()["config"]))
    own = chart.config
    if own is not alt.Undefined:
        own_dict = own if isinstance(own, dict) else own.to_dict(validate=False)
        config = dict(alt.utils.update_nested(config, own_dict, copy=True))
    chart.config = _sorted_keys(config)
    return chart


def _sorted_keys(value: Any) -> Any:
    """`value` with every dict's keys in sorted order, at every depth."""
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


def caption_lines(caption: Sequence[str], width: object = None) -> list[str]:
    """Caption lines wrapped to the chart's width (`width` px, the theme's when not a number), so a
    long caption never makes a chart wider than it is drawn, wherever it is shown."""
    px = width if isinstance(width, int | float) and not isinstance(width, bool) else WIDTH
    chars = max(60, round(px / CAPTION_CHAR_PX))
    return [line for text in caption for line in textwrap.wrap(text, width=chars) or [""]]


def rows_height(rows: int, step: float) -> float:
    """The height of `rows` rows `step` px apart (a band or point scale's step with its default
    padding): a fixed height, where `alt.Step(step)` would make the report's column fitting drop
    "fit-y" with a warning in the browser's console."""
    return max(rows, 1) * step


def titled(chart: ChartT, title: str, *caption: str, **properties: Any) -> ChartT:
    """Give a chart its title (what it shows), caption lines (source, assumptions; wrapped to the
    chart's width) and properties, and the toolkit theme (`themed`): the last step of every chart
    function."""
    subtitle = caption_lines(caption, properties.get("width"))
    # `properties` returns a new chart, the theme goes onto it without a second copy (copying a
    # layered chart rebuilds its layers' parameters: ~5 ms a chart in a report kernel)
    return _with_theme(
        chart.properties(title=alt.Title(text=title, subtitle=subtitle), **properties)
    )


def order_of(frame: pl.DataFrame, column: str, fallback: Sequence[str] | None = None) -> list[str]:
    """The order of an ordinal column: its `polars.Enum` categories, never alphabetical.

    A plain string column takes `fallback` (e.g. the pack's Enum) when given, else the order of first
    appearance in the frame.
    """
    dtype = frame.schema[column]
    if isinstance(dtype, pl.Enum):
        return [str(c) for c in dtype.categories.to_list()]
    if fallback is not None:
        present = set(frame[column].cast(pl.String).unique().to_list())
        missing = present - set(fallback)
        if missing:
            raise ValueError(f"{column}: values {sorted(missing)} are not in the declared order")
        return [str(c) for c in fallback]
    return [str(c) for c in frame[column].cast(pl.String).unique(maintain_order=True).to_list()]


def enum_categories(dtype: pl.DataType) -> list[str]:
    """The categories of an Enum dtype, in order."""
    if not isinstance(dtype, pl.Enum):
        raise TypeError(f"expected a polars Enum, got {dtype}")
    return [str(c) for c in dtype.categories.to_list()]


def plain(frame: pl.DataFrame, digits: int = 4) -> pl.DataFrame:
    """A frame ready to inline in a spec: enums/categoricals and dates as strings, floats rounded."""
    exprs: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Enum | pl.Categorical):
            exprs.append(col.cast(pl.String))
        elif isinstance(dtype, pl.Date | pl.Datetime):
            exprs.append(col.dt.to_string("%Y-%m-%d"))
        elif dtype.is_float():
            exprs.append(col.round(digits))
        else:
            exprs.append(col)
    out = frame.select(exprs)
    if out.height > MAX_ROWS:
        raise ValueError(f"{out.height} rows: aggregate before charting (limit {MAX_ROWS})")
    return out


MONTH_TITLE: Final = "Months after the article (month 0 = the situation it reports)"


def month_axis(
    start: dt.date | None, *, title: bool = True, what: str = "the article's date"
) -> alt.Axis:
    """The axis of a month-index field (0 = the article's date, whole months after it).

    With the article's date (`start`, the pack's publication date) ticks are labelled with calendar
    months ("Nov 2024"); the data and tooltips keep the month number.
    """
    if start is None:
        return alt.Axis(title=MONTH_TITLE if title else None, tickMinStep=1)
    return alt.Axis(
        title=f"Month (month 0 = {start:%B %Y}, {what})" if title else None,
        tickMinStep=1,
        labelExpr=(
            f"timeFormat(datetime({start.year}, {start.month - 1} + datum.value, 1), '%b %Y')"
        ),
    )


def percent_axis(title: str) -> alt.Axis:
    """A 0–100 % axis for probabilities."""
    return alt.Axis(title=title, format=".0%")


def scale_domain(order: Sequence[str], **kwargs: Any) -> alt.Scale:
    """A scale whose domain is `order`, explicitly (legend and axis follow it)."""
    return alt.Scale(domain=list(order), **kwargs)


def sequential_colours(n: int) -> list[str]:
    """`n` distinct colours of the sequential ramp, light to dark, skipping the near-white end: for
    up to its seven shades, shades of the ramp; for more, colours interpolated along it (in RGB,
    evenly spaced from its lightest usable shade to its darkest)."""
    usable = YLORBR[2:]
    if n <= 0:
        return []
    if n == 1:
        return [usable[len(usable) // 2]]
    if n <= len(usable):
        return [usable[round(i * (len(usable) - 1) / (n - 1))] for i in range(n)]
    return [_along(usable, i * (len(usable) - 1) / (n - 1)) for i in range(n)]


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _along(ramp: Sequence[str], position: float) -> str:
    """The colour at `position` (0 to len(ramp) - 1) of a ramp, linear in RGB between its stops."""
    k = min(int(position), len(ramp) - 2)
    t = position - k
    a, b = _rgb(ramp[k]), _rgb(ramp[k + 1])
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def category_colours(n: int) -> list[str]:
    """`n` distinct colours for categories: Okabe–Ito's eight in order, then Tol's muted nine, then
    further hues (golden-angle steps at alternating lightness), none repeated."""
    colours = list(dict.fromkeys([*OKABE_ITO, *TOL_MUTED]))[: max(n, 0)]
    seen = {c.lower() for c in colours}
    k = 0
    while len(colours) < n:
        hue = (k * 137.508) % 360 / 360
        light = (0.35, 0.5, 0.65)[k % 3]
        r, g, b = colorsys.hls_to_rgb(hue, light, 0.65)
        colour = "#" + "".join(f"{round(x * 255):02X}" for x in (r, g, b))
        if colour.lower() not in seen:
            seen.add(colour.lower())
            colours.append(colour)
        k += 1
    return colours


def expr_literal(value: object) -> str:
    """`value` (strings, lists of them) as a literal in a Vega expression: JSON, with the line and
    paragraph separators escaped (valid in JSON, not in a JavaScript string, so an unescaped one
    made the expression fail to parse and the chart not draw)."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def label_expr(
    keys: Sequence[str], labels: Sequence[str], *, wrap: int | None = None, max_lines: int = 3
) -> str:
    """A Vega `labelExpr` showing `labels` for the ids in `keys` (the domain keeps the ids' order).

    With `wrap`, each label is broken into lines of at most that many characters, at most
    `max_lines` of them (the last ending in "…"): a label wrapped without a limit grew taller than
    its row and overprinted its neighbours.
    """
    if wrap is not None:
        lines = [wrap_lines(label, wrap, max_lines) for label in labels]
        return (
            f"({expr_literal(lines)}[indexof({expr_literal(list(keys))}, datum.label)]"
            " || datum.label)"
        )
    return (
        f"{expr_literal(list(labels))}[indexof({expr_literal(list(keys))}, datum.label)]"
        " || datum.label"
    )


def wrap_lines(text: str, width: int, max_lines: int = 3) -> list[str]:
    """`text` broken into at most `max_lines` lines of `width` characters, the last cut with "…"
    (one empty line for an empty text)."""
    return textwrap.wrap(text, width=width, max_lines=max_lines, placeholder="…") or [""]


def wrap_text(text: str, width: int, max_lines: int = 3) -> str:
    """`text` broken into lines (joined by newlines, for marks with `lineBreak="\\n"`)."""
    return "\n".join(wrap_lines(text, width, max_lines))


def short_name(name: str) -> str:
    """ "North Korea (Democratic People's Republic of Korea)" -> "North Korea"."""
    return name.split(" (", 1)[0]


def legend(
    title: str, order: Sequence[str], labels: Mapping[str, str] | None = None, **kwargs: Any
) -> alt.Legend:
    """A legend titled `title`, showing `labels` (plain words) for the ids of `order` when given."""
    if labels:
        kwargs["labelExpr"] = label_expr(order, [labels.get(k, k) for k in order])
    return alt.Legend(title=title, **kwargs)


def category_scale(order: Sequence[str]) -> alt.Scale:
    """A colour scale for categories in a fixed order, Okabe–Ito colours in that order (then further
    distinct ones, `category_colours`)."""
    return alt.Scale(domain=list(order), range=category_colours(max(len(order), 1)))


def needs_white_text(fill: str) -> bool:
    """Whether text on the colour `fill` (#rrggbb) reads better white than near-black (#111111):
    the higher WCAG contrast ratio wins."""
    lum = _luminance(fill)
    return (1.05) / (lum + 0.05) > (lum + 0.05) / (_luminance("#111111") + 0.05)


def _luminance(colour: str) -> float:
    """WCAG relative luminance of #rrggbb."""
    channels = [c / 255 for c in _rgb(colour)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
