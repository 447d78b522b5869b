"""Appending to an observation log: validated first, then added after the existing bytes.

`append_observations(pack, records)` checks the new records against the pack and the whole log they
join (ids unique, targets known, grades, quotes verbatim in their texts) and only then appends them as
YAML list items at the end of the log (`toolkit.files.append_durably`: under a lock, synced to disk,
never rewriting what the file holds). An invalid record changes nothing. `stored_text` copies a source
article into the pack's `texts/` so a quote can be checked against it; `holding_log` keeps other runs
out while an id is chosen, a text copied and the record appended.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from toolkit.errors import PackError, Problem, ToolkitError
from toolkit.files import Rewrite, append_durably, hold_folders, write_atomic
from toolkit.pack.observations import (
    LOG_FILE,
    MAX_TEXT_BYTES,
    TEXTS_DIR,
    check_log,
    check_reported_by,
    parse_log,
)
from toolkit.pack.safe_yaml import MAX_YAML_BYTES

if TYPE_CHECKING:
    from toolkit.pack.load import Pack

HEADER = (
    "# The observation log (seeds/README.md, `observations.yaml`). Append-only: toolkit observe and\n"
    "# toolkit ingest --accept add records at the end and never rewrite existing ones.\n"
    "observations:\n"
)
CANNOT_APPEND = (
    "cannot append: the log's list must be the last thing in the file, in block style "
    "(`observations:` then one `- id: ...` item per record, not a list in brackets)"
)
FIELDS = (
    "id", "observed", "precision", "reported", "indicator", "transferred", "decided", "present",
    "source", "reliability", "credibility", "quote", "text", "url", "note",
)  # fmt: skip


def log_path(pack: Pack, log: str | Path | None = None) -> Path:
    """The log to append to: `log`, or the pack's observations.yaml."""
    path = Path(log) if log is not None else pack.path / LOG_FILE
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise ToolkitError(
            f"the log {str(path)!r} is not YAML: observations are appended to a YAML log"
        )
    return path


@contextmanager
def holding_log(pack: Pack, log: str | Path | None = None) -> Iterator[Path]:
    """The log's path, with the pack's folder and the log's held for the block
    (`toolkit.files.hold_folders`): an id chosen by `new_id` and a text copied by `stored_text`
    inside it stay valid until the block's append, whatever other `observe` or `ingest` runs do."""
    path = log_path(pack, log)
    with hold_folders(pack.path, path.parent):
        yield path


TOO_LARGE = "nothing appended: the log would be larger than a pack's file may be"


def append_observations(
    pack: Pack, records: Sequence[Mapping[str, Any]], log: str | Path | None = None
) -> Path:
    """Append `records` (observation fields) to the log; PackError, and no change, if any record is
    invalid or the log they would join is."""
    path = log_path(pack, log)
    items = [_clean(rec) for rec in records]
    if not items:
        raise ToolkitError("nothing to append")

    def appended(old: bytes) -> bytes:
        text = old.decode("utf-8", errors="replace")
        head = b"" if old else HEADER.encode()
        if old and not old.endswith(b"\n"):
            head = b"\n"
        problems: list[Problem] = []
        before = parse_log(old, str(path), problems) if old else []
        if problems:
            raise PackError(problems)
        indent = _list_indent(text)
        if indent is None:
            raise PackError([Problem(str(path), None, "observations", None, CANNOT_APPEND)])
        body = "".join(_item(rec, indent) for rec in items).encode("utf-8")
        size = len(old) + len(head) + len(body)
        if size > MAX_YAML_BYTES:
            # the pack's reader stops at this size: an append past it would leave a log (append-only)
            # that no command can read (found in a bug hunt)
            raise PackError(
                [Problem(str(path), None, None, size, f"{TOO_LARGE} ({MAX_YAML_BYTES:,} bytes)")]
            )
        after = parse_log(old + head + body, str(path), problems)
        if not problems and [o.id for o in after] != [
            *(o.id for o in before),
            *(r["id"] for r in items),
        ]:
            problems.append(Problem(str(path), None, "observations", None, CANNOT_APPEND))
        if not problems:
            check_log(pack, after, str(path), problems)
            check_reported_by(after[len(before) :], str(path), problems)
        if problems:
            raise PackError(problems)
        return head + body

    def make(old: bytes) -> bytes:
        opened = _opened_empty_list(old)
        if opened is None:
            return appended(old)
        # a log with no record yet: rewritten whole, once the records are checked, under the
        # append's lock, through a symbolic link and with its mode kept (a review finding: it was
        # replaced outside the lock, a link by a regular file, its mode reset)
        return Rewrite(opened + appended(opened))

    append_durably(path, make)
    return path


def _opened_empty_list(old: bytes) -> bytes | None:
    """For a log that holds no record but writes its list as `observations: []`, `~` or `null`
    (valid, and what seeds/README allows): its bytes with `observations:` alone, comments kept, so
    that items can be appended in block style (it was refused, or appended to as malformed YAML;
    found in a bug hunt). None for any other file (the append's own checks name its problems)."""
    try:
        text = old.decode("utf-8")
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        empty = (isinstance(value, yaml.SequenceNode) and value.flow_style and not value.value) or (
            isinstance(value, yaml.ScalarNode)
            and value.tag == "tag:yaml.org,2002:null"
            and value.value != ""
        )
        if key.value == "observations" and empty:
            start, end = value.start_mark.index, value.end_mark.index
            return (text[:start].rstrip(" ") + text[end:]).encode("utf-8")
    return None


def _clean(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record's fields in the log's order, empty ones left out; unknown fields are kept (the
    check names them)."""
    out = {k: record[k] for k in FIELDS if record.get(k) is not None}
    out |= {k: v for k, v in record.items() if k not in FIELDS and v is not None}
    if "id" not in out:
        raise ToolkitError("an observation needs an id")
    return out


def _item(record: Mapping[str, Any], indent: str) -> str:
    text = yaml.safe_dump(
        [dict(record)], sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False
    )
    return "".join(indent + line + "\n" for line in text.splitlines())


def _list_indent(text: str) -> str | None:
    """The indentation of the log's `observations:` list, read from the YAML's structure (a line in
    a multi-line note that starts with "- " is text, not an item); two spaces for a new list; None
    for a list in flow style (`observations: []`), which items cannot be appended to."""
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return "  "
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "observations" and isinstance(value, yaml.SequenceNode):
                return None if value.flow_style else " " * value.start_mark.column
    return "  "


def new_id(pack: Pack, base: str, log: str | Path | None = None) -> str:
    """`base` as an observation id not yet used in the log (`base`, `base_2`, ...)."""
    base = re.sub(r"[^a-z0-9_]+", "_", base.lower()).strip("_") or "o"
    if not base[0].isalpha():
        base = "o_" + base
    base = base[:110].rstrip("_")  # ids are at most 120 characters, a `_N` suffix included
    path = log_path(pack, log)
    used: set[str] = set()
    if path.is_file():
        used = {o.id for o in parse_log(path.read_bytes(), str(path), [])}
    out, n = base, 2
    while out in used:
        out, n = f"{base}_{n}", n + 1
    return out


def text_copy(root: Path, name: str, data: bytes, compare: bool = True) -> Path:
    """Where the pack keeps its copy of a source article named `name` holding `data`:
    texts/NAME, or texts/STEM-HASH.SUFFIX when another text already has that name (`compare`
    False: texts/NAME whatever it holds)."""
    target = root / TEXTS_DIR / (re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "article.txt")
    if compare and target.exists() and target.read_bytes() != data:
        digest = hashlib.sha256(data).hexdigest()[:8]
        target = target.with_name(f"{target.stem}-{digest}{target.suffix}")
    return target


def stored_name(pack: Pack, source: str | Path) -> str:
    """The path, relative to the pack, `stored_text` gives `source` (nothing is written): itself
    under the pack, else its copy's in texts/. An unreadable source is named by its file name."""
    src = Path(source)
    root = pack.path.resolve()
    resolved = src.resolve()
    if resolved.is_relative_to(root):
        return resolved.relative_to(root).as_posix()
    try:
        data = src.read_bytes()
    except OSError:  # gone since it was stored: its copy under its own name, if any
        return text_copy(root, src.name, b"", compare=False).relative_to(root).as_posix()
    return text_copy(root, src.name, data).relative_to(root).as_posix()


@contextmanager
def stored_text(pack: Pack, source: str | Path, given_as: str = "--text") -> Iterator[str]:
    """The path, relative to the pack, of a source article: `source` itself if it is under the pack,
    else a copy in the pack's texts/ (written atomically). If the block raises, a copy this call made
    is removed again, so a refused observation leaves no trace. An error names the file as the
    command line took it, `given_as` (`--text`, or `ingest`'s ARTICLE)."""
    src = Path(source)
    try:
        with open(src, "rb") as fh:
            # never more than one byte past the limit: a 4 GB file (or /dev/zero) given by mistake
            # is refused without being read whole (a review finding)
            data = fh.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        raise ToolkitError(f"{given_as} {str(src)!r}: {exc.strerror or 'cannot read'}") from None
    if len(data) > MAX_TEXT_BYTES:
        # the pack refuses a source text this long: storing it would break the pack
        raise ToolkitError(f"{given_as} {str(src)!r} is longer than {MAX_TEXT_BYTES:,} bytes")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolkitError(f"{given_as} {str(src)!r} is not UTF-8 text") from None
    root = pack.path.resolve()
    resolved = src.resolve()
    if resolved.is_relative_to(root):
        yield resolved.relative_to(root).as_posix()
        return
    folder = root / TEXTS_DIR
    new_folder = not folder.exists()
    target = text_copy(root, src.name, data)
    made = False
    if not target.exists():
        write_atomic(target, data)
        made = True
    try:
        yield target.relative_to(root).as_posix()
    except BaseException:
        if made:
            target.unlink(missing_ok=True)
        if new_folder and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        raise
