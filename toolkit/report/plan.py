"""A report's plan: every parameter checked, and the provenance of the result, before a kernel starts.

`plan_report` reads the notebook's declared parameters (`toolkit.report.notebook`), rejects unknown
names and wrong types, folds model parameters given on the command line into the notebook's
`overrides` dict, checks the scenario against the pack and lets the engine check ranges, a start state
and run settings (`toolkit.engine.validate.validate_overrides`, `validate_start` and `validate_run`,
when the engine provides them). Any problem is a one-line `ParameterError`/`ToolkitError`. The resulting `ReportPlan` holds
what papermill injects, the report kernel's environment and the provenance shown in the footer.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from toolkit.errors import ParameterError, ToolkitError, shown
from toolkit.files import not_a_file
from toolkit.jupyter.nbparams import (
    NotebookParameter,
    coerce_parameters,
    coerce_value,
    render_value,
)

if TYPE_CHECKING:
    from toolkit.jupyter.provenance import Provenance
    from toolkit.pack.load import Pack
    from toolkit.pack.summary import PackSummary
    from toolkit.report.notebook import NotebookInfo


@dataclass(frozen=True)
class PackInfo:
    """The report's pack, checked (`validate_pack`: every check, no frames) with the ids of its
    records and its start date; its frames (`PackInfo.pack`) are built, from the rows already
    checked, only when the engine checks a scenario, model parameters or a start state, or an
    observation log is checked, so a notebook that needs none of them loads no polars in the parent."""

    path: Path
    title: str | None
    content_hash: str
    ids: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    start: dt.date | None = None  # pack.yaml publication.date
    summary: PackSummary | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None) -> PackInfo:
        """The pack at `path` checked (`validate_pack`; a pack this code found valid before with the
        same files: its summary from the cache, `toolkit.pack.summary.cached_summary`, so a report's
        parent loads neither pydantic nor the records)."""
        from toolkit.pack.summary import cached_summary, default_pack_path

        resolved = Path(path).resolve() if path is not None else default_pack_path().resolve()
        checked = cached_summary(resolved)
        return cls(
            resolved, checked.title, checked.content_hash, checked.ids, checked.start, checked
        )

    @functools.cached_property
    def pack(self) -> Pack:
        if self.summary is not None:
            return self.summary.pack()
        from toolkit.pack.load import load_pack

        return load_pack(self.path)


PACK_TITLE: Final = "{pack_title}"


@dataclass(frozen=True)
class ReportPlan:
    """Everything a report needs, checked before a kernel starts."""

    notebook: NotebookInfo
    pack: PackInfo
    overrides: dict[str, Any]  # what papermill injects
    scenario: str | None
    pack_given: bool
    extra_provenance: tuple[tuple[str, str], ...] = field(default=())

    def kernel_env(self) -> dict[str, str]:
        return kernel_env_for(self.pack.path if self.pack_given else None)

    @property
    def title(self) -> str:
        """The report's title: the notebook's, with `{pack_title}` (a notebook's metadata title
        may hold it) replaced by the pack's title, so one notebook titles every pack's report."""
        return self.notebook.title.replace(PACK_TITLE, self.pack.title or "")

    def provenance(self, inputs: Mapping[str, Any] | None = None) -> Provenance:
        """The footer's record; `inputs`: what the run rests on, as the notebook reported it."""
        import sys

        import toolkit
        from toolkit.jupyter.provenance import (
            ParameterValue,
            Provenance,
            generated_at,
            library_versions,
        )

        params = tuple(
            ParameterValue(
                name=p.name,
                value=render_value(self.overrides[p.name])
                if p.name in self.overrides
                else shown_default(p),
                type_name=p.shown_type,
                overridden=p.name in self.overrides,
            )
            for p in self.notebook.parameters.values()
        )
        seed = next((p.value for p in params if p.name == "seed"), None)
        return Provenance(
            notebook=self.notebook.path.name,
            notebook_sha256=self.notebook.sha256,
            toolkit_version=str(getattr(toolkit, "__version__", "unknown")),
            pack_title=self.pack.title,
            pack_hash=self.pack.content_hash,
            scenario=self.scenario,
            seed=seed,
            parameters=params,
            python=f"{platform.python_implementation()} {platform.python_version()}"
            + f" ({sys.platform})",
            libraries=library_versions(),
            generated_at=generated_at(),
            extra=self.extra_provenance,
            inputs=dict(inputs) if inputs is not None else None,
        )


def kernel_env_for(pack: str | os.PathLike[str] | None) -> dict[str, str]:
    """Extra environment of a report kernel: the pack named on the command line, if any."""
    return {"TOOLKIT_PACK": str(Path(pack).resolve())} if pack is not None else {}


def plan_report(
    notebook: NotebookInfo,
    pack: PackInfo,
    *,
    scenario: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    pack_given: bool = False,
    from_text: bool = False,
) -> ReportPlan:
    """Check every parameter (names, types, scenario, engine ranges); no kernel involved."""
    given = dict(parameters or {})
    declared = notebook.parameters
    name = notebook.path.name
    if scenario is not None:
        if "scenario" not in declared:
            raise ParameterError(f"{name} has no 'scenario' parameter")
        if "scenario" in given and str(given["scenario"]) != scenario:
            raise ParameterError(
                f"scenario given twice: {shown(scenario)} and {shown(given['scenario'])}"
            )
        given["scenario"] = scenario
    named = given.get("pack")
    if isinstance(named, str | os.PathLike) and str(named) and "pack" in declared:
        # the kernel runs elsewhere: a relative path is the caller's, as `observations` is
        named = given["pack"] = str(Path(named).resolve())
        if pack_given and Path(named) != Path(pack.path).resolve():
            raise ParameterError(
                f"pack given twice: --pack {shown(str(pack.path))} and -p pack={shown(named)}"
            )
    if pack_given and "pack" in declared and "pack" not in given:
        given["pack"] = str(pack.path)
    _check_names(name, declared, given, pack)
    given = _fold_model_parameters(declared, given, pack, from_text=from_text)
    overrides = coerce_parameters(declared, given, notebook=name, from_text=from_text)
    effective_scenario = overrides.get("scenario")
    if effective_scenario is None and "scenario" in declared:
        default = parameter_default(declared["scenario"])
        effective_scenario = default if isinstance(default, str) else None
    _check_scenario(pack, effective_scenario)
    _check_outcome(pack, overrides.get("sensitivity_outcome"))
    _check_as_of(
        pack, overrides.get("as_of"), overrides.get("observations"), overrides.get("start")
    )
    _check_backtest(pack, declared, overrides)
    if isinstance(overrides.get("observations"), str) and overrides["observations"]:
        overrides["observations"] = str(Path(overrides["observations"]).resolve())
    model_overrides = _model_overrides(pack, overrides)
    if model_overrides or (
        effective_scenario is not None and not _known_to_compile(pack, effective_scenario)
    ):
        _engine_check(pack.pack, effective_scenario, model_overrides)
    start = overrides.get("start")
    if "start" in declared and isinstance(start, Mapping) and start:
        _start_check(pack.pack, effective_scenario, start)
    run = {
        k: v
        for k, v in overrides.items()
        if k not in model_overrides and k not in {"scenario", "pack", "overrides"}
    }
    if "months" in run and "within" not in run and "within" in declared:
        # the notebook's default `within` follows a shorter horizon (its cells take the smaller):
        # given here, the footer and a sweep's index name the months the report used, not 12
        within = parameter_default(declared["within"])
        months = run["months"]
        if isinstance(within, int) and isinstance(months, int) and 0 < months < within:
            overrides["within"] = run["within"] = months
    if "within" in run and "months" not in run and "months" in declared:
        # a given `within` must lie within the horizon, the notebook's own when not given
        months = parameter_default(declared["months"])
        if isinstance(months, int) and not isinstance(months, bool):
            run["months"] = months
    _run_check(run)
    return ReportPlan(
        notebook=notebook,
        pack=pack,
        overrides=overrides,
        scenario=effective_scenario,
        pack_given=pack_given,
    )


def parameter_default(param: NotebookParameter) -> Any:
    """A parameter's default value when it is a literal or names one of the engine's defaults
    (`seed: int = DEFAULT_SEED`, see `toolkit.engine.defaults`), else None."""
    import ast

    from toolkit.engine.defaults import DEFAULTS

    text = param.default.strip()
    if text in DEFAULTS:
        return DEFAULTS[text]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def shown_default(param: NotebookParameter) -> str:
    """The default as Python source: a name of the engine's defaults becomes its value."""
    from toolkit.engine.defaults import DEFAULTS

    text = param.default.strip()
    return render_value(DEFAULTS[text]) if text in DEFAULTS else param.default


def _model_parameter_ids(declared: Mapping[str, NotebookParameter], pack: PackInfo) -> list[str]:
    """The pack's model parameters a notebook takes as `-p name=value` (into its `overrides`)."""
    if "overrides" not in declared:
        return []
    return list(pack.ids.get("parameters", ()))


def _check_names(
    notebook: str,
    declared: Mapping[str, NotebookParameter],
    given: Mapping[str, Any],
    pack: PackInfo,
) -> None:
    """An unknown name: a one-line ParameterError naming the nearest parameter, notebook or model."""
    import difflib

    model = _model_parameter_ids(declared, pack)
    for name in given:
        if name in declared or name in model:
            continue
        close = difflib.get_close_matches(str(name), [*declared, *model], n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        takes = ", ".join(declared) or "none"
        also = (
            f", and the {len(model)} model parameters (`toolkit params` lists them)"
            if model
            else ""
        )
        raise ParameterError(
            f"unknown parameter {shown(name)} for {notebook} ({hint}it takes: {takes}{also})"
        )


def describe_parameters(info: NotebookInfo) -> str:
    """What `toolkit report NOTEBOOK --list-params` prints (papermill's `--help-notebook`): each
    parameter with its type, default and help, and whether model parameters are accepted too."""
    rows = [
        (f"{p.name}: {p.shown_type}", f"= {shown_default(p)}", p.help)
        for p in info.parameters.values()
    ]
    if not rows:
        return f"{info.path.name} declares no parameters (no cell tagged `parameters`)."
    name_w = max(len(r[0]) for r in rows)
    value_w = max(len(r[1]) for r in rows)
    lines = [f"Parameters of {info.path.name} (-p name=value, or papermill's -p name value):"]
    lines += [f"  {a.ljust(name_w)}  {b.ljust(value_w)}  {c}".rstrip() for a, b, c in rows]
    if "overrides" in info.parameters:
        lines.append(
            "Model parameters are accepted too: -p troops=15000 goes into `overrides` "
            "(`toolkit params` lists them, with their valid ranges)."
        )
    return "\n".join(lines)


def _fold_model_parameters(
    declared: Mapping[str, NotebookParameter],
    given: dict[str, Any],
    pack: PackInfo,
    *,
    from_text: bool,
) -> dict[str, Any]:
    """`-p troops=15000`: a model parameter the notebook does not declare goes into its `overrides`
    dict parameter (when it has one), as a number; the engine checks its range next."""
    if "overrides" not in declared or all(k in declared for k in given):
        return given
    ids = set(pack.ids.get("parameters", ()))
    folded = {k: v for k, v in given.items() if k not in declared and k in ids}
    if not folded:
        return given
    rest = {k: v for k, v in given.items() if k not in folded}
    nested = coerce_value(declared["overrides"], rest.get("overrides", {}), from_text=from_text)
    if not isinstance(nested, dict):
        return given
    for key, raw in folded.items():
        if key in nested:
            raise ParameterError(f"parameter {key!r} given twice (also inside overrides)")
        value = raw
        if from_text:
            try:
                value = float(raw)
            except ValueError:
                raise ParameterError(
                    f"parameter {key!r}: expected a number, got {shown(value)}"
                ) from None
        nested[key] = int(value) if isinstance(value, float) and value.is_integer() else value
    rest["overrides"] = nested
    return rest


def _check_scenario(pack: PackInfo, scenario: object) -> None:
    if not isinstance(scenario, str) or "scenarios" not in pack.ids:
        return
    known = list(pack.ids["scenarios"])
    if scenario not in known:
        raise ParameterError(
            f"unknown scenario {shown(scenario)} (the pack has: {', '.join(known)})"
        )


OUTCOME_KINDS = ("response_tiers", "phases", "technologies", "tech_tiers")


def _check_outcome(pack: PackInfo, outcome: object) -> None:
    """A report's `sensitivity_outcome`: empty (the pack's default) or an id of a response tier,
    phase, technology or technology tier of the pack."""
    if not isinstance(outcome, str) or not outcome or not pack.ids:
        return
    if not any(outcome in pack.ids.get(kind, ()) for kind in OUTCOME_KINDS):
        known = [i for kind in OUTCOME_KINDS for i in pack.ids.get(kind, ())]
        raise ParameterError(
            f"sensitivity_outcome {shown(outcome)} is not a response tier, phase, technology or "
            f"technology tier of the pack (it has: {', '.join(known)})"
        )


def _check_as_of(pack: PackInfo, as_of: object, observations: object, start: object) -> None:
    """A report's `as_of` (a date on or after the pack's start, not after today; not with a
    `start` state, which it sets) and `observations` (a log file the pack accepts), checked before a
    kernel starts."""
    if isinstance(as_of, str) and as_of:
        from toolkit.track.tracker import check_as_of, check_not_after_today, parse_date

        day = parse_date(as_of, "as_of")
        if pack.start is not None:
            check_as_of(day, pack.start)
        check_not_after_today(day)
        if isinstance(start, Mapping) and start:
            raise ParameterError(
                "give start or as_of, not both: as_of sets the start state (the tracker's "
                "posterior on that date)"
            )
    if isinstance(observations, str) and observations:
        from toolkit.pack.observations import read_log

        read_log(pack.pack, observations)


BACKTEST_DATES: Final = ("backtest_from", "backtest_to")
INPUT_FILES: Final = ("log", "questions")  # a forecast log and a question set, by path


def _check_backtest(
    pack: PackInfo, declared: Mapping[str, NotebookParameter], overrides: dict[str, Any]
) -> None:
    """A scorecard's parameters, checked before a kernel starts: its backtest dates (each a date on
    or after the pack's start, the first not after the last; `_check_backtest_dates`), `every`, and the forecast log and
    question set it names (files that exist and read cleanly; given as the caller's paths, made
    absolute for the kernel, as `observations` is)."""

    def value(key: str) -> object:
        return overrides[key] if key in overrides else parameter_default(declared[key])

    if "every" in declared and "backtest_from" in declared:
        from toolkit.track.scores import parse_every

        parse_every(str(value("every")), "every")
    for key in INPUT_FILES:
        given = overrides.get(key)
        if key not in declared or not isinstance(given, str) or not given:
            continue
        path = Path(given).resolve()
        missing = not_a_file(path)
        if missing is not None:
            reason = "no such file" if missing == "file not found" else missing
            raise ParameterError(f"{key} {shown(given)}: {reason}")
        overrides[key] = str(path)
        if key == "questions":
            from toolkit.track.questions import load_questions

            load_questions(pack.pack, path)
        else:
            from toolkit.track.forecasts import read_forecasts

            read_forecasts(pack.pack, path)
    if all(key in declared for key in BACKTEST_DATES):
        _check_backtest_dates(pack, {key: str(value(key)) for key in BACKTEST_DATES}, overrides)


def _check_backtest_dates(
    pack: PackInfo, given: Mapping[str, str], overrides: Mapping[str, Any]
) -> None:
    """The backtest's dates, each as given or, empty, the pack's (`backtest_dates`: reads the
    question set and the observation log only then): on or after the pack's start, in order."""
    from toolkit.track.tracker import check_as_of, check_not_after_today, parse_date

    first_given, last_given = (given[key] for key in BACKTEST_DATES)
    if first_given and last_given:
        first, last = (
            parse_date(first_given, "backtest_from"),
            parse_date(last_given, "backtest_to"),
        )
    else:
        from toolkit.track.questions import load_questions
        from toolkit.track.scores import backtest_dates

        questions, observations = overrides.get("questions"), overrides.get("observations")
        first, last = backtest_dates(
            pack.pack,
            load_questions(pack.pack, questions or None),
            observations or None,
            first_given,
            last_given,
        )
    # a date the caller left empty is the pack's: the message says so, not a date they gave
    names = [key if given[key] else f"{key} (the pack's default)" for key in BACKTEST_DATES]
    for name, day in zip(names, (first, last), strict=True):
        if pack.start is not None:
            check_as_of(day, pack.start, name)
        check_not_after_today(day, name)
    if last < first:
        raise ParameterError(f"{names[1]} {last} is before {names[0]} {first}")


def _model_overrides(pack: PackInfo, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The values that override model parameters: notebook parameters named like a parameter of the
    pack (`parameters.yaml` ids), plus the entries of a dict parameter named `overrides`."""
    ids = set(pack.ids.get("parameters", ()))
    result = {k: v for k, v in overrides.items() if k in ids}
    nested = overrides.get("overrides")
    if isinstance(nested, Mapping):
        result.update({str(k): v for k, v in nested.items()})
    return result


def _engine_hook(name: str) -> Any:
    try:
        from toolkit.engine import validate
    except ModuleNotFoundError as exc:
        if exc.name in {"toolkit.engine.validate", "toolkit"}:
            return None
        raise
    return getattr(validate, name, None)


def _call_hook(hook: Any, *args: Any) -> None:
    try:
        hook(*args)
    except ToolkitError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise ParameterError(str(exc).splitlines()[0] if str(exc) else repr(exc)) from None


def _known_to_compile(pack: PackInfo, scenario: object) -> bool:
    """Whether the engine's check of `scenario` without overrides is known to pass: it is one of the
    pack's scenarios, and every scenario of a pack with this content compiled with this code
    (`toolkit.engine.check.check_checked_pack`: a mark in the toolkit's cache keyed by the pack's
    content hash and the code fingerprint, or every scenario compiled now and the mark written). Then
    the parent needs neither the pack's frames nor the model compiler (polars, numpy: ~0.5 s)."""
    if pack.summary is None or not isinstance(scenario, str):
        return False
    if scenario not in pack.ids.get("scenarios", ()):
        return False
    try:
        from toolkit.engine.check import check_checked_pack
    except ModuleNotFoundError as exc:
        if exc.name in {"toolkit.engine.check", "toolkit.engine"}:
            return False
        raise
    return not check_checked_pack(pack.summary)


def _engine_check(pack: Pack, scenario: object, overrides: dict[str, Any]) -> None:
    """Range checks belong to the engine: `toolkit.engine.validate.validate_overrides`, if it exists."""
    validate = _engine_hook("validate_overrides")
    if validate is not None:
        _call_hook(validate, pack, scenario, overrides)


def _start_check(pack: Pack, scenario: object, start: Mapping[str, Any]) -> None:
    """A notebook's `start` parameter (a start state {phase: share}) goes to the engine's
    `toolkit.engine.validate.validate_start`, if it exists."""
    validate = _engine_hook("validate_start")
    if validate is not None:
        _call_hook(validate, pack, scenario, start)


def _run_check(run_parameters: dict[str, Any]) -> None:
    """`toolkit.engine.validate.validate_run(parameters)`, if the engine provides it: the notebook's other
    parameters (paths, months, seed, ...); it checks those it knows and ignores the rest."""
    if not run_parameters:
        return
    validate = _engine_hook("validate_run")
    if validate is not None:
        _call_hook(validate, run_parameters)


def pack_parameter(info: NotebookInfo, parameters: Mapping[str, Any] | None) -> Any:
    """The pack a notebook's own `pack` parameter names among `parameters` (a path), else None."""
    value = (parameters or {}).get("pack")
    return value if isinstance(value, str | os.PathLike) and "pack" in info.parameters else None
