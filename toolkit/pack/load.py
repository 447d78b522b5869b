"""Load a pack (article + YAML annotations): read its files, check each record, return a `Pack`.

`load_pack(path)` reads every file and checks each record's shape (`toolkit.pack.records`) and that ids
are unique within a section; `toolkit.pack.frames` then builds the frames with the checks that span
records: references, every quote found verbatim in the article, every entity mentioned, probabilities
in [0, 1] with low <= high. All problems are collected and raised together as one `PackError`; nothing
is written anywhere.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml
from pydantic import BaseModel, ValidationError

from toolkit.errors import PackError, Problem
from toolkit.files import data_dir
from toolkit.pack import records as r
from toolkit.pack.frames import Frame, FrameBuilder
from toolkit.pack.schema import FIXED_ENUMS
from toolkit.pack.text import Sentence, find_quote, split_residue, split_sentences

if TYPE_CHECKING:
    import polars as pl

# file -> section key -> record model (pack.yaml is a single mapping, handled apart)
SECTIONS: dict[str, dict[str, type[r.Record]]] = {
    "entities.yaml": {"entities": r.Entity},
    "relations.yaml": {"relations": r.Relation},
    "events.yaml": {"events": r.Event},
    "estimative.yaml": {"yardstick": r.Band, "phrases": r.Phrase},
    "claims.yaml": {"claims": r.Claim},
    "technologies.yaml": {"tiers": r.TechTier, "technologies": r.Technology},
    "phases.yaml": {"phases": r.Phase, "transitions": r.Transition, "start": r.StartState},
    "indicators.yaml": {"indicators": r.Indicator},
    "responses.yaml": {"tiers": r.ResponseTier},
    "parameters.yaml": {"parameters": r.Parameter},
    "scenarios.yaml": {"scenarios": r.Scenario},
}
# sections a pack may leave out (start: every path starts in the first phase)
OPTIONAL_SECTIONS: frozenset[tuple[str, str]] = frozenset({("phases.yaml", "start")})
META_FILE = "pack.yaml"
# libyaml's safe loader where PyYAML was built with it (10x faster than the pure-Python one).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def default_pack_path() -> Path:
    """The pack used when none is named: $TOOLKIT_PACK, else the project's `seeds/` (the clone's, or
    the copy an installed wheel ships)."""
    env = os.environ.get("TOOLKIT_PACK")
    if env:
        return Path(env)
    return data_dir("seeds", META_FILE)


@dataclass(frozen=True)
class Pack:
    """A loaded, validated pack. Frames are attributes (`pack.entities`, `pack.phases`, ...)."""

    path: Path
    meta: r.PackMeta
    raw_text: str
    text: str
    residue: str
    content_hash: str
    frames: dict[str, pl.DataFrame] = field(repr=False)
    enums: dict[str, pl.Enum] = field(repr=False)

    def __getattr__(self, name: str) -> pl.DataFrame:
        frames = self.__dict__.get("frames", {})
        if name in frames:
            return frames[name]
        raise AttributeError(f"pack has no frame or attribute {name!r}")

    def quote_span(self, quote: str) -> tuple[int, int] | None:
        """Where `quote` stands in the article body, if it does."""
        return find_quote(self.text, quote)


@dataclass(frozen=True)
class PackSummary:
    """A valid pack as `validate_pack` checked it: its title, the rows of each frame, the ids of
    each frame that has an `id` column, and the content hash."""

    path: Path
    title: str | None
    rows: dict[str, int]
    ids: dict[str, tuple[str, ...]]
    content_hash: str


def load_pack(path: str | os.PathLike[str] | None = None) -> Pack:
    """Load and validate the pack at `path` (default: `default_pack_path()`)."""
    return Loader(Path(path) if path is not None else default_pack_path()).load()


def validate_pack(path: str | os.PathLike[str] | None = None) -> PackSummary:
    """Run every check `load_pack` runs, without building the frames (polars is not imported):
    `PackError` with the same problems, or the row count of each frame and the content hash."""
    return Loader(Path(path) if path is not None else default_pack_path()).summary()


def check_pack(path: str | os.PathLike[str] | None = None) -> list[Problem]:
    """Every problem with the pack at `path`; an empty list when it is valid."""
    try:
        validate_pack(path)
    except PackError as exc:
        return exc.problems
    return []


# --------------------------------------------------------------------------------------------
class Loader:
    """Reads one pack's files and records, collecting every problem found (`FrameBuilder` adds its own)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.data: dict[str, dict[str, list[Any]]] = {}
        self.body = ""
        self.sentences: list[Sentence] = []
        self.meta: r.PackMeta | None = None

    # -- collection -----------------------------------------------------------------------
    def problem(
        self, file: str, record: str | None, fld: str | None, value: object, message: str
    ) -> None:
        self.problems.append(Problem(file, record, fld, value, message))

    def load(self) -> Pack:
        raw = self._read()
        enums = self._enums()
        frames = cast("dict[str, pl.DataFrame]", FrameBuilder(self, enums).build())
        meta = self._checked()
        body, residue = split_residue(raw, meta.residue_marker)
        return Pack(
            path=self.root,
            meta=meta,
            raw_text=raw,
            text=body,
            residue=residue,
            content_hash=self._content_hash(meta),
            frames=frames,
            enums=enums,
        )

    def summary(self) -> PackSummary:
        """The checks of `load` without the frames (no polars)."""
        self._read()
        rows: dict[str, Frame] = FrameBuilder(self, {}, build=False).build()
        meta = self._checked()
        counts = {name: len(frame) for name, frame in rows.items()}
        ids = {
            name: tuple(str(row["id"]) for row in frame)
            for name, frame in rows.items()
            if isinstance(frame, list) and frame and "id" in frame[0]
        }
        title = str(meta.title) if getattr(meta, "title", None) else None
        return PackSummary(self.root, title, counts, ids, self._content_hash(meta))

    def _read(self) -> str:
        """Read every file and check each record; the article's raw text."""
        if not self.root.is_dir():
            raise PackError([Problem(str(self.root), None, None, str(self.root), "no such pack")])
        meta = self.meta = self._read_meta()
        raw = self._read_article(meta)
        for name, sections in SECTIONS.items():
            self.data[name] = self._read_sections(name, sections)
        # A missing, unreadable or misshapen file stops here: cross-file checks would only echo it.
        # Problems inside single records do not: the checks below still report what else is wrong.
        if meta is None or any(
            p.record is None or p.message == "malformed YAML" for p in self.problems
        ):
            raise PackError(self.problems)
        return raw

    def _checked(self) -> r.PackMeta:
        """The pack's metadata once the cross-record checks found nothing, else `PackError`."""
        if self.problems or self.meta is None:
            raise PackError(self.problems)
        return self.meta

    def _read_yaml(self, name: str) -> Any:
        path = self.root / name
        if not path.is_file():
            self.problem(name, None, None, str(path), "file not found")
            return None
        try:
            return yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)  # noqa: S506
        except UnicodeDecodeError as exc:
            self.problem(name, None, None, exc.reason, "not UTF-8 text")
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            self.problem(name, where, None, what, "malformed YAML")
        return None

    def _validate(
        self, name: str, label: str, model: type[BaseModel], raw: Any
    ) -> BaseModel | None:
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(x) for x in err["loc"]) or None
                value = err.get("input")
                if isinstance(value, dict) and loc:
                    value = "(missing)" if err["type"] == "missing" else value
                self.problem(name, label, loc, value, err["msg"].removeprefix("Value error, "))
        return None

    def _read_meta(self) -> r.PackMeta | None:
        raw = self._read_yaml(META_FILE)
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.problem(META_FILE, None, None, type(raw).__name__, "expected a mapping")
            return None
        meta = self._validate(META_FILE, "pack", r.PackMeta, raw)
        return meta if isinstance(meta, r.PackMeta) else None

    def _read_article(self, meta: r.PackMeta | None) -> str:
        name = meta.article if meta else "article.txt"
        path = self.root / name
        if not path.is_file():
            self.problem(name, None, None, str(path), "article file not found")
            return ""
        try:
            raw = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problem(name, None, None, exc.reason, "article is not UTF-8 text")
            return ""
        body, _ = split_residue(raw, meta.residue_marker if meta else None)
        if not body.strip():
            self.problem(
                name, None, None, raw[:40], "article is empty (no text before the residue)"
            )
        self.body = body
        self.sentences = split_sentences(body, meta.abbreviations if meta else ())
        return raw

    def _read_sections(
        self, name: str, sections: Mapping[str, type[r.Record]]
    ) -> dict[str, list[Any]]:
        raw = self._read_yaml(name)
        out: dict[str, list[Any]] = {key: [] for key in sections}
        if raw is None:
            if (self.root / name).is_file() and not any(p.file == name for p in self.problems):
                self.problem(name, None, None, None, "file is empty")
            return out
        if not isinstance(raw, dict):
            self.problem(name, None, None, type(raw).__name__, "expected a mapping at top level")
            return out
        for key, model in sections.items():
            items = raw.get(key)
            if items is None and (name, key) in OPTIONAL_SECTIONS:
                continue
            if not isinstance(items, list) or not items:
                self.problem(name, None, key, items, "expected a non-empty list")
                continue
            seen: set[str] = set()
            for i, item in enumerate(items, start=1):
                label = _label(item, i)
                if not isinstance(item, dict):
                    self.problem(name, label, None, item, "expected a mapping")
                    continue
                rec = self._validate(name, label, model, item)
                if rec is None:
                    continue
                key_id = getattr(rec, "id", None) or getattr(rec, "phrase", None)
                if key_id is not None:
                    if key_id in seen:
                        self.problem(name, label, "id", key_id, f"duplicate id in {key}")
                    seen.add(key_id)
                out[key].append(rec)
        unknown = set(raw) - set(sections)
        for key in sorted(unknown):
            self.problem(name, None, key, key, f"unknown section (expected {', '.join(sections)})")
        return out

    def _enums(self) -> dict[str, pl.Enum]:
        import polars as pl

        enums = {k: pl.Enum(list(v)) for k, v in FIXED_ENUMS.items()}
        ordered = {
            "phase": self.data["phases.yaml"]["phases"],
            "tech_tier": self.data["technologies.yaml"]["tiers"],
            "response_tier": self.data["responses.yaml"]["tiers"],
            "band": self.data["estimative.yaml"]["yardstick"],
        }
        for name, recs in ordered.items():
            enums[name] = pl.Enum([rec.id for rec in recs])
        return enums

    def _content_hash(self, meta: r.PackMeta) -> str:
        digest = hashlib.sha256()
        for name in sorted([META_FILE, meta.article, *SECTIONS]):
            digest.update(name.encode() + b"\0" + (self.root / name).read_bytes() + b"\0")
        return digest.hexdigest()


def _label(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for key in ("id", "phrase", "phase"):
            if isinstance(item.get(key), str):
                return str(item[key])
        if "from" in item and "to" in item:
            return f"{item['from']}->{item['to']}"
    return f"#{index}"
