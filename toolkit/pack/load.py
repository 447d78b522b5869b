"""Load a pack (article + YAML annotations): read its files, check each record, return a `Pack`.

`load_pack(path)` reads every file and checks each record's shape (`toolkit.pack.records`) and that ids
are unique within a section; `toolkit.pack.frames` then builds the frames with the checks that span
records: references, every quote found verbatim in the article, every entity mentioned, probabilities
in [0, 1] with low <= high. All problems are collected and raised together as one `PackError`; nothing
is written anywhere. Limits bound the work whatever a pack holds: the size of each file and what its
YAML aliases expand to (`toolkit.pack.safe_yaml`), the article's length, the number of records and
aliases; and every file read is inside the pack directory.

One module (a little over 400 lines) on purpose: the hardened reading steps share one `Loader`'s state
(the root, the problems found so far, the limits), and `load_pack` and `validate_pack` differ only in
what they build from the same checked rows.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, cast

import yaml
from pydantic import BaseModel, ValidationError

from toolkit.errors import PackError, Problem
from toolkit.files import not_a_file
from toolkit.pack import records as r
from toolkit.pack.frames import FrameBuilder
from toolkit.pack.rows import make_frame
from toolkit.pack.safe_yaml import FileTooLargeError, YamlLimitError, read_yaml
from toolkit.pack.schema import FIXED_ENUMS, SCHEMAS
from toolkit.pack.summary import META_FILE, PackSummary, default_pack_path
from toolkit.pack.text import Sentence, find_quote, split_residue, split_sentences

if TYPE_CHECKING:
    import polars as pl

    from toolkit.pack.rows import Rows

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
    "admiralty.yaml": {"reliability": r.Grade, "credibility": r.Grade},
    "observations.yaml": {"observations": r.Observation},
}
# sections a pack may leave out (start: every path starts in the first phase; observations: the log
# starts empty, `observations:` with no items)
OPTIONAL_SECTIONS: frozenset[tuple[str, str]] = frozenset(
    {("phases.yaml", "start"), ("observations.yaml", "observations")}
)
# sections that may be an empty list (`observations: []`, an empty log)
EMPTY_SECTIONS: frozenset[tuple[str, str]] = frozenset({("observations.yaml", "observations")})
# files a pack may leave out (the tracker's grading table and observation log)
OPTIONAL_FILES: frozenset[str] = frozenset({"admiralty.yaml", "observations.yaml"})
# The longest article the loader reads, in characters (seeds/README.md): its text is searched for every
# quote and alias, and a report shows it.
MAX_ARTICLE_CHARS = 2_000_000
# Every quote is searched for in the article and every alias matched in it: the work grows with their
# number times the article's length, so a pack holds at most this many records and aliases.
MAX_RECORDS = 10_000
MAX_ALIASES = 10_000
# enum name -> (file, section) of the ordered ladders: each becomes an ordered `polars.Enum`
ORDERED: dict[str, tuple[str, str]] = {
    "phase": ("phases.yaml", "phases"),
    "tech_tier": ("technologies.yaml", "tiers"),
    "response_tier": ("responses.yaml", "tiers"),
    "band": ("estimative.yaml", "yardstick"),
}


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


def load_pack(path: str | os.PathLike[str] | None = None) -> Pack:
    """Load and validate the pack at `path` (default: `default_pack_path()`)."""
    return Loader(Path(path) if path is not None else default_pack_path()).load()


def validate_pack(path: str | os.PathLike[str] | None = None) -> PackSummary:
    """Run every check `load_pack` runs, without building the frames (polars is not imported):
    `PackError` with the same problems, or the row count of each frame and the content hash."""
    return Loader(Path(path) if path is not None else default_pack_path()).summary()


def check_pack(path: str | os.PathLike[str] | None = None) -> list[Problem]:
    """Every problem the loader finds with the pack at `path`; an empty list when it loads.

    `toolkit.check_pack` (`toolkit.engine.check`) runs the engine's checks on every scenario too.
    """
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
        self.fatal = False  # a file could not be read as a whole: cross-file checks would mislead
        self.records = 0  # records read so far, of all files
        # (file, section) -> (position from 1, label) of each record dropped for its own problems
        self.dropped: dict[tuple[str, str], list[tuple[int, str]]] = {}

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
        return self._pack(raw, meta, self._content_hash(meta), frames, enums)

    def summary(self) -> PackSummary:
        """The checks of `load` without the frames (no polars)."""
        raw = self._read()
        rows = cast("dict[str, Rows]", FrameBuilder(self, None).build())  # no polars
        meta = self._checked()
        content_hash = self._content_hash(meta)
        ids = {
            name: tuple(str(row["id"]) for row in frame)
            for name, frame in rows.items()
            if any(column == "id" for column, _, _ in SCHEMAS[name])
        }

        def pack() -> Pack:  # the frames from the rows already checked: nothing is read again
            enums = self._enums()
            frames = {
                name: cast("pl.DataFrame", make_frame(name, frame, enums, problems_found=False))
                for name, frame in rows.items()
            }
            return self._pack(raw, meta, content_hash, frames, enums)

        title = str(meta.title) if getattr(meta, "title", None) else None
        counts = {name: len(frame) for name, frame in rows.items()}
        start = meta.publication.date
        return PackSummary(self.root, title, counts, ids, content_hash, start, pack)

    def _pack(
        self,
        raw: str,
        meta: r.PackMeta,
        content_hash: str,
        frames: dict[str, pl.DataFrame],
        enums: dict[str, pl.Enum],
    ) -> Pack:
        body, residue = split_residue(raw, meta.residue_marker)
        return Pack(self.root, meta, raw, body, residue, content_hash, frames, enums)

    def _read(self) -> str:
        """Read every file and check each record; the article's raw text."""
        if not self.root.is_dir():
            raise PackError([Problem(str(self.root), None, None, str(self.root), "no such pack")])
        meta = self.meta = self._read_meta()
        raw = self._read_article(meta)
        for name, sections in SECTIONS.items():
            self.data[name] = self._read_sections(name, sections)
        aliases = sum(len(e.aliases) for e in self.data["entities.yaml"]["entities"])
        if aliases > MAX_ALIASES:
            message = f"a pack holds at most {MAX_ALIASES:,} aliases"
            self.problem("entities.yaml", None, "aliases", aliases, message)
        # A missing, unreadable or misshapen file, or a ladder with a duplicate id (its ids are the
        # categories of an ordered Enum), stops here: cross-file checks would only echo it. Problems
        # inside single records do not: the checks below still report what else is wrong.
        if meta is None or self.fatal or any(p.record is None for p in self.problems):
            raise PackError(self.problems)
        return raw

    def _checked(self) -> r.PackMeta:
        """The pack's metadata once the cross-record checks found nothing, else `PackError`."""
        if self.problems or self.meta is None:
            raise PackError(self.problems)
        return self.meta

    def _read_yaml(self, name: str) -> Any:
        path = self.root / name
        missing = not_a_file(path)
        if missing is not None:
            self.problem(name, None, None, str(path), missing)
            return None
        if not self._inside(name):
            self.problem(
                name, None, None, str(path.resolve()),
                "file is outside the pack directory (a symbolic link out of it)",
            )  # fmt: skip
            self.fatal = True
            return None
        try:
            return read_yaml(path)
        except FileTooLargeError as exc:
            self.problem(name, None, None, exc.size, exc.problem)
        except UnicodeDecodeError as exc:
            self.problem(name, None, None, exc.reason, "not UTF-8 text")
        except YamlLimitError as exc:
            self.problem(name, _where(exc), None, exc.text, exc.problem)
        except yaml.YAMLError as exc:
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            self.problem(name, _where(exc), None, what, "malformed YAML")
        self.fatal = True
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
            if not any(p.file == META_FILE for p in self.problems):
                self.problem(META_FILE, None, None, None, "file is empty")
            return None
        if not isinstance(raw, dict):
            self.problem(META_FILE, None, None, type(raw).__name__, "expected a mapping")
            return None
        meta = self._validate(META_FILE, "pack", r.PackMeta, raw)
        return meta if isinstance(meta, r.PackMeta) else None

    def _inside(self, name: str) -> bool:
        """Whether `name` is a relative path without `..` that resolves inside the pack directory
        (a symbolic link out of the pack does not)."""
        pure = PurePath(name)
        if pure.is_absolute() or ".." in pure.parts:
            return False
        try:
            root = self.root.resolve()
            path = (self.root / pure).resolve()
        except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte
            return False
        return path != root and path.is_relative_to(root)

    def _read_article(self, meta: r.PackMeta | None) -> str:
        name = meta.article if meta else "article.txt"
        path = self.root / name
        if not self._inside(name):
            self.problem(
                META_FILE, "pack", "article", name,
                "the article must be a file inside the pack directory (a relative path, no `..`)",
            )  # fmt: skip
            self.fatal = True
            return ""
        missing = not_a_file(path)
        if missing is not None:
            self.problem(name, None, None, str(path), f"article {missing}")
            return ""
        with path.open("rb") as file:  # UTF-8 takes at most 4 bytes a character
            data = file.read(4 * MAX_ARTICLE_CHARS + 1)
        too_long = len(data) > 4 * MAX_ARTICLE_CHARS
        try:
            raw = "" if too_long else data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problem(name, None, None, exc.reason, "article is not UTF-8 text")
            return ""
        if too_long or len(raw) > MAX_ARTICLE_CHARS:
            size = f"{path.stat().st_size:,} bytes"
            self.problem(
                name, None, None, size, f"article is longer than {MAX_ARTICLE_CHARS:,} characters"
            )
            return ""
        marker = meta.residue_marker if meta else None
        body, residue = split_residue(raw, marker)
        if marker and not residue:  # a declared marker that matches no line strips nothing
            self.problem(
                META_FILE, "pack", "residue_marker", marker,
                "no line of the article starts with it (remove it if the text has no residue)",
            )  # fmt: skip
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
        out: dict[str, list[Any]] = {key: [] for key in sections}
        if name in OPTIONAL_FILES and not (self.root / name).exists():
            return out
        raw = self._read_yaml(name)
        if raw is None:
            if not any(p.file == name for p in self.problems):
                self.problem(name, None, None, None, "file is empty")
            return out
        if not isinstance(raw, dict):
            self.problem(name, None, None, type(raw).__name__, "expected a mapping at top level")
            return out
        for key, model in sections.items():
            items = raw.get(key)
            if items is None and (name, key) in OPTIONAL_SECTIONS:
                continue
            if items == [] and (name, key) in EMPTY_SECTIONS:
                continue
            if not isinstance(items, list) or not items:
                self.problem(name, None, key, items, "expected a non-empty list")
                continue
            if self.records + len(items) > MAX_RECORDS:
                message = f"a pack holds at most {MAX_RECORDS:,} records"
                self.problem(name, None, key, len(items), message)
                self.fatal = True
                continue
            self.records += len(items)
            seen: set[str] = set()
            for i, item in enumerate(items, start=1):
                label = _label(item, i)
                if not isinstance(item, dict):
                    self.problem(name, label, None, item, "expected a mapping")
                    self.dropped.setdefault((name, key), []).append((i, label))
                    continue
                rec = self._validate(name, label, model, item)
                if rec is None:
                    self.dropped.setdefault((name, key), []).append((i, label))
                    continue
                key_id = getattr(rec, "id", None) or getattr(rec, "phrase", None)
                if key_id is not None:
                    if key_id in seen:
                        self.problem(name, label, "id", key_id, f"duplicate id in {key}")
                        # a ladder's ids are the categories of an ordered Enum: no frame without them
                        self.fatal |= (name, key) in ORDERED.values()
                    seen.add(key_id)
                out[key].append(rec)
        unknown = set(raw) - set(sections)
        for key in sorted(unknown, key=str):  # keys of any YAML type: 1, null, a date
            self.problem(name, None, key, key, f"unknown section (expected {', '.join(sections)})")
        return out

    def _enums(self) -> dict[str, pl.Enum]:
        import polars as pl

        enums = {k: pl.Enum(list(v)) for k, v in FIXED_ENUMS.items()}
        for name, (file, key) in ORDERED.items():
            enums[name] = pl.Enum([rec.id for rec in self.data[file][key]])
        return enums

    def _content_hash(self, meta: r.PackMeta) -> str:
        digest = hashlib.sha256()
        for name in sorted([META_FILE, meta.article, *SECTIONS]):
            if name in OPTIONAL_FILES and not (self.root / name).is_file():
                continue
            digest.update(name.encode() + b"\0" + (self.root / name).read_bytes() + b"\0")
        return digest.hexdigest()


def _where(exc: yaml.YAMLError) -> str | None:
    mark = getattr(exc, "problem_mark", None)
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else None


def _label(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for key in ("id", "phrase", "phase"):
            if isinstance(item.get(key), str):
                return str(item[key])
        if "from" in item and "to" in item:
            return f"{item['from']}->{item['to']}"
    return f"#{index}"
