"""Read a YAML file as plain data, safely, remembering the line of every field.

Scenario files are data, so the reader is stricter than ``yaml.safe_load``:
- only plain tags (mapping, sequence, string, integer, float, boolean, null); anything else,
  ``!!python/object`` included, is refused;
- aliases are refused (they allow "billion laughs" expansion; use ``extends`` instead);
- duplicate keys are refused (YAML silently keeps the last one);
- plain (unquoted) scalars are read by the YAML 1.2 core schema, not PyYAML's YAML 1.1: only
  ``true``/``false`` are booleans (``yes``, ``no``, ``on``, ``off``, ``y``, ``n`` stay text, so
  Norway's ``NO`` is a name and ``description: no`` is the word "no"), ``~``/``null``/empty are
  null, ``1e3`` is a number, dates stay text;
- numbers must be written in decimal: YAML 1.1 would read ``0750`` as octal 488, ``1:30`` as 90
  (base 60) and ``0x10`` as 16, so these are refused rather than guessed; ``.inf``/``.nan`` are
  read as numbers (and refused by the schema, which wants finite numbers);
- fields the caller names as text (``keep_text``: a scenario's ``name``, ``description``,
  ``source``, ``note``…) keep the characters written, whatever they look like (``name: 1999``
  is the text "1999", ``note: 1e3`` the text "1e3");
- only regular files are read: a FIFO, a device or a folder is refused before it is opened for
  reading (so it cannot block), and a symbolic-link loop is refused;
- size, node count and nesting depth are capped, in a first pass over the event stream, so an
  oversized or over-deep file fails fast.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cfe_opt.errors import ScenarioError

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 40
_DECIMAL_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_DECIMAL_FLOAT = re.compile(r"^[-+]?([0-9][0-9_]*)?(\.[0-9_]*)?([eE][-+]?[0-9]+)?$"
                            r"|^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$")

# Plain-scalar resolution: the YAML 1.2 core schema, plus the YAML 1.1 number forms (octal,
# hexadecimal, binary, base 60) resolved as numbers only so that they can be refused by name.
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT = re.compile(r"^(?:[-+]?[0-9][0-9_]*"
                  r"|[-+]?0[xX][0-9a-fA-F_]+|[-+]?0[oO][0-7_]+|[-+]?0[bB][01_]+"
                  r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9][0-9_]*|[0-9][0-9_]*\.[0-9_]*|[0-9][0-9_]*"
                    r"(?:\.[0-9_]*)?[eE][-+]?[0-9]+|\.[0-9][0-9_]*[eE][-+]?[0-9]+)"
                    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_MERGE = re.compile(r"^<<$")

_PLAIN_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_RESOLVED_NOT_TEXT = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                      "tag:yaml.org,2002:merge"}
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"

Path_ = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """The data of one file and the line (1-based) where each field path is written."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)


class _Loader(yaml.SafeLoader):
    """A SafeLoader whose plain scalars resolve by the YAML 1.2 core schema (see above)."""

    yaml_implicit_resolvers: dict = {}  # noqa: RUF012 - PyYAML's class-level registry, ours alone


_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""])
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
_Loader.add_implicit_resolver("tag:yaml.org,2002:merge", _MERGE, ["<"])

KeepText = Callable[[Path_], bool]


class _Refused(Exception):
    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _first_pass(text: str) -> None:
    """Walk the event stream once: refuse excessive size or depth before building anything."""
    depth = 0
    for count, event in enumerate(yaml.parse(text, Loader=yaml.SafeLoader), start=1):
        if count > MAX_NODES:
            raise _Refused(event.start_mark.line + 1, f"file has more than {MAX_NODES:,} YAML "
                           "nodes")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(event.start_mark.line + 1, f"nesting deeper than {MAX_DEPTH} "
                               "levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[int | None, str]:
    """A one-line reason and a line for any PyYAML error."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return line, (f"invalid character {char!r} (#x{ord(char):04x}): control characters are "
                      "not allowed")
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        parts = [p for p in (exc.context, exc.problem) if p]
        return (mark.line + 1 if mark else None), "invalid YAML: " + _one_line(
            " ".join(parts) or "syntax error")
    return None, "invalid YAML: " + _one_line(str(exc))


def read_yaml(path: Path, display: str, keep_text: KeepText | None = None) -> YamlDocument:
    """Parse ``path``; every problem becomes a one-line ``ScenarioError`` naming ``display``."""
    return parse_yaml(_read_text(path, display), display, keep_text)


def _read_text(path: Path, display: str) -> str:
    """The file's text: a regular file, opened without blocking, at most MAX_FILE_BYTES."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ScenarioError(display, "", f"cannot read file ({_os_reason(exc)})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(display, "", f"not a regular file ({_file_kind(info.st_mode)}); "
                                "a scenario is a YAML text file")
        if info.st_size > MAX_FILE_BYTES:
            raise ScenarioError(display, "", f"file is {info.st_size:,} bytes; the limit is "
                                f"{MAX_FILE_BYTES:,}")
        chunks = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ScenarioError(display, "", f"cannot read file ({_os_reason(exc)})") from None
    finally:
        os.close(fd)
    if size > MAX_FILE_BYTES:  # grew while being read
        raise ScenarioError(display, "", f"file is over {MAX_FILE_BYTES:,} bytes (the limit)")
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(display, "", "file is not UTF-8 text") from None


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    return exc.strerror or str(exc)


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return kind
    return "not a regular file"


def parse_yaml(text: str, display: str, keep_text: KeepText | None = None) -> YamlDocument:
    """Parse YAML text (a file's or a command-line argument's) into plain data, strictly."""
    loader = None
    try:
        _first_pass(text)
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError(display, "", "file is empty")
        doc = YamlDocument(file=display, data=None)
        doc.data = _Builder(loader, doc, keep_text).build(node, (), 0)
        return doc
    except _Refused as exc:
        raise ScenarioError(display, "", exc.reason, line=exc.line) from None
    except yaml.YAMLError as exc:
        line, reason = _yaml_problem(exc, text)
        raise ScenarioError(display, "", reason, line=line) from None
    finally:
        if loader is not None:
            loader.dispose()


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, doc: YamlDocument,
                 keep_text: KeepText | None = None) -> None:
        self.loader = loader
        self.doc = doc
        self.keep_text = keep_text
        self.count = 0
        self.seen: set[int] = set()  # an alias composes to a node already seen

    def fail(self, node: yaml.Node, path: Path_, reason: str) -> ScenarioError:
        return ScenarioError(self.doc.file, format_path(path), reason,
                             line=node.start_mark.line + 1)

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(node, path, f"file has more than {MAX_NODES:,} YAML nodes")
        if depth > MAX_DEPTH:
            raise self.fail(node, path, f"nesting deeper than {MAX_DEPTH} levels")
        if id(node) in self.seen:  # the alias's own position is lost: use its field's line
            line = self.doc.lines.get(path) or self.doc.lines.get(path[:-1])
            raise ScenarioError(self.doc.file, format_path(path), "YAML aliases (*name) are not "
                                "allowed in scenario files; use 'extends' to reuse a scenario",
                                line=line)
        self.seen.add(id(node))
        self.doc.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP_TAG:
                raise self.fail(node, path, f"unsupported YAML tag '{node.tag}' (scenario files "
                                "are plain data)")
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == (
                    "tag:yaml.org,2002:merge"
                ):
                    raise self.fail(key_node, path, "mapping keys must be plain names")
                key = self.scalar(key_node, path)
                if not isinstance(key, str):
                    key = key_node.value  # "1990:" or "yes:" as a key is its text
                if key in out:
                    raise self.fail(key_node, (*path, key), "duplicate key (YAML would silently "
                                    "keep only the last one)")
                self.doc.lines[(*path, key)] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, (*path, key), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ_TAG:
                raise self.fail(node, path, f"unsupported YAML tag '{node.tag}' (scenario files "
                                "are plain data)")
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self.scalar(node, path)

    def scalar(self, node: yaml.Node, path: Path_) -> Any:
        text = node.value
        if (node.style is None and node.tag in _RESOLVED_NOT_TEXT and self.keep_text is not None
                and self.keep_text(path)):
            return text  # a text field keeps what was written: "1999", "true", "1e3"
        if node.tag not in _PLAIN_SCALAR_TAGS:
            raise self.fail(node, path, f"unsupported YAML tag '{node.tag}' (scenario files are "
                            "plain data)")
        if node.tag == "tag:yaml.org,2002:int" and not _DECIMAL_INT.match(text):
            quote = f"; quote it (\"{text}\") if it is text" if ":" in text else ""
            raise self.fail(node, path, f"write numbers in plain decimal ({_yaml11(text)})"
                            f"{quote}")
        if node.tag == "tag:yaml.org,2002:float" and not _DECIMAL_FLOAT.match(text):
            raise self.fail(node, path, f"write numbers in plain decimal ({_yaml11(text)})")
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:
            raise self.fail(node, path, f"invalid value: {_one_line(str(exc))}") from None


def _yaml11(text: str) -> str:
    """What YAML 1.1 (PyYAML's default) would make of a non-decimal number, for the message."""
    try:
        value = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):
        value = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"YAML would read {text!r} as {value}"
    return f"{text!r} is not a decimal number"


def format_path(path: Path_) -> str:
    """``("parties", "RUS", "holdings", "acv")`` → ``parties.RUS.holdings.acv``; items as [i]."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
