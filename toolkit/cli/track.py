"""`toolkit track`, `toolkit observe`, `toolkit ingest`: the indicator tracker on the command line.

`register(app)` adds the three commands. Each parses and checks its options, then calls one function
of `toolkit.track`; heavy imports happen inside the commands so `toolkit --help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from toolkit.cli.describe import describe_track
from toolkit.cli.options import (
    AsOfOption,
    ObservationLogOption,
    ObservationsOption,
    PackOption,
    handles_errors,
)
from toolkit.engine.defaults import DEFAULT_SCENARIO
from toolkit.errors import ParameterError

if TYPE_CHECKING:
    pass


def register(app: typer.Typer) -> None:
    """Add `track`, `observe` and `ingest` to `app`."""
    app.command("track")(track)
    app.command("observe")(observe)
    app.command("ingest")(ingest)


# --------------------------------------------------------------------------------------------
@handles_errors
def track(
    as_of: AsOfOption = None,
    observations: ObservationsOption = None,
    scenario: Annotated[
        str, typer.Option("--scenario", "-s", help="Scenario whose rates the tracker uses.")
    ] = DEFAULT_SCENARIO,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='Print {"as_of", "phases", "transferred", "decided", "observations_used"} '
            "(observations_used: every observation reported by then, in the order applied, "
            "repeats included, as the text output counts them).",
        ),
    ] = False,
    pack: PackOption = None,
) -> None:
    """The assessment on a date: phases, technologies transferred, tiers decided, and what moved it."""
    from toolkit.pack.load import load_pack
    from toolkit.track.tracker import check_not_after_today, parse_date
    from toolkit.track.tracker import track as run

    day = parse_date(as_of, "--as-of") if as_of is not None else None  # before loading the pack
    if day is not None:
        check_not_after_today(day, "--as-of")
    result = run(load_pack(pack), day, observations, scenario=scenario)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        typer.echo(describe_track(result))


@handles_errors
def observe(
    observed: Annotated[
        str,
        typer.Option(help="Date it happened or was seen, YYYY-MM-DD (a window's first day)."),
    ],
    reported: Annotated[str, typer.Option(help="Date it became known, YYYY-MM-DD.")],
    source: Annotated[str, typer.Option(help="Who reported it, in words.")],
    reliability: Annotated[str, typer.Option(help="Admiralty source grade, A-F.")],
    credibility: Annotated[int, typer.Option(help="Admiralty information grade, 1-6.")],
    indicator: Annotated[
        str | None, typer.Option(help="Indicator id (indicators.yaml).", show_default=False)
    ] = None,
    transferred: Annotated[
        str | None, typer.Option(help="Technology id reported transferred.", show_default=False)
    ] = None,
    decided: Annotated[
        str | None, typer.Option(help="Response tier id reported decided.", show_default=False)
    ] = None,
    absent: Annotated[
        bool, typer.Option("--absent", help="Reported absent or denied (present: false).")
    ] = False,
    precision: Annotated[str, typer.Option(help="day, week or month.")] = "day",
    quote: Annotated[
        str | None, typer.Option(help="Verbatim quote from --text.", show_default=False)
    ] = None,
    text: Annotated[
        Path | None,
        typer.Option(
            help="Source article of the quote (copied into the pack's texts/ if outside it).",
            show_default=False,
        ),
    ] = None,
    url: Annotated[str | None, typer.Option(help="Where it was found.", show_default=False)] = None,
    note: Annotated[str | None, typer.Option(help="A note.", show_default=False)] = None,
    obs_id: Annotated[
        str | None,
        typer.Option("--id", help="Observation id (default: o_DATE_TARGET).", show_default=False),
    ] = None,
    log: ObservationLogOption = None,
    pack: PackOption = None,
) -> None:
    """Append one validated observation to the log (an invalid one changes nothing)."""
    from contextlib import nullcontext

    from toolkit.pack.load import load_pack
    from toolkit.track.log import append_observations, holding_log, new_id, stored_text
    from toolkit.track.tracker import check_not_after_today, parse_date

    day, known = parse_date(observed, "--observed"), parse_date(reported, "--reported")
    for flag, when in (("--observed", day), ("--reported", known)):
        check_not_after_today(when, flag)  # a report is logged once it is known
    targets = {"indicator": indicator, "transferred": transferred, "decided": decided}
    given = {k: v for k, v in targets.items() if v is not None}
    if len(given) != 1:
        raise ParameterError("give exactly one of --indicator, --transferred, --decided")
    if quote is not None and text is None:
        raise ParameterError("--quote needs --text, the file it is quoted from")
    loaded = load_pack(pack)
    ((kind, target),) = given.items()
    # a YAML log, checked before anything is copied; other runs wait until this one has appended
    with (
        holding_log(loaded, log),
        stored_text(loaded, text) if text is not None else nullcontext(None) as stored,
    ):
        record = {
            "id": obs_id or new_id(loaded, f"o_{day:%Y%m%d}_{target}", log),
            "observed": day,
            "precision": precision,
            "reported": known,
            kind: target,
            "present": not absent,
            "source": " ".join(source.split()),  # as typed, without stray spaces
            "reliability": reliability,
            "credibility": credibility,
            "quote": quote,
            "text": stored,
            "url": url,
            "note": note,
        }
        path = append_observations(loaded, [record], log)
    typer.echo(f"appended {record['id']} to {path}")


@handles_errors
def ingest(
    article: Annotated[Path, typer.Argument(help="A new article, UTF-8 text.")],
    source: Annotated[
        str | None,
        typer.Option(
            help="Who published it (default: the file name); with --accept, replaces the draft's.",
            show_default=False,
        ),
    ] = None,
    reliability: Annotated[
        str | None,
        typer.Option(
            help="Source grade for the proposals, A-F (default F); with --accept, replaces the "
            "draft's.",
            show_default=False,
        ),
    ] = None,
    credibility: Annotated[
        int | None,
        typer.Option(
            help="Information grade for the proposals, 1-6 (default 6); with --accept, replaces "
            "the draft's.",
            show_default=False,
        ),
    ] = None,
    reported: Annotated[
        str | None,
        typer.Option(
            help="Date the article appeared, YYYY-MM-DD (default: its dateline's date, else today); "
            "with --accept, "
            "replaces the draft's.",
            show_default=False,
        ),
    ] = None,
    accept: Annotated[
        list[str] | None,
        typer.Option(
            help="Append this proposal of the article's draft to the log; repeat the option for "
            "several (--accept A --accept B), or join them with commas (--accept A,B)."
        ),
    ] = None,
    log: ObservationLogOption = None,
    pack: PackOption = None,
) -> None:
    """Propose observations from a new article into a draft; --accept ID appends reviewed ones."""
    from toolkit.pack.load import load_pack
    from toolkit.track.ingest import accept as accept_ids
    from toolkit.track.ingest import describe_draft, propose
    from toolkit.track.tracker import check_not_after_today, parse_date

    if reliability is not None and reliability not in ("A", "B", "C", "D", "E", "F"):
        raise ParameterError(f"--reliability expects a grade A-F, got {reliability!r}")
    if credibility is not None and not 1 <= credibility <= 6:
        raise ParameterError(f"--credibility expects a grade 1-6, got {credibility}")
    day = parse_date(reported, "--reported") if reported is not None else None
    if day is not None:  # as `observe` refuses it (a bug hunt)
        check_not_after_today(day, "--reported")
    loaded = load_pack(pack)
    if accept:
        grades = {
            "source": source, "reliability": reliability, "credibility": credibility,
            "reported": day,
        }  # fmt: skip
        chosen = [i for part in accept for i in part.split(",") if i]
        ids = accept_ids(loaded, article, chosen, log, grades=grades)
        typer.echo(f"appended {', '.join(ids)} to the log")
        return
    draft = propose(
        loaded, article, source=source, reliability=reliability or "F",
        credibility=6 if credibility is None else credibility, reported=day,
    )  # fmt: skip
    typer.echo(describe_draft(draft))
