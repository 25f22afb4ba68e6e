"""A command's outputs, written and replaced as one set, with a record of how they were made.

Each command that writes files writes them as a *set*: one folder holding its tables, figures and
``run.json`` (the command line, the scenario's sha256, the versions, the command's parameters
and the sha256 of every file in the set). The set is written into a hidden sibling folder
(``.NAME.cfe-opt-new-PID-TOKEN``), each file and the folder fsynced, and then swapped in:

- on Linux by one ``renameat2(RENAME_EXCHANGE)``: the old set and the new trade places
  atomically, so a reader (or a kill) sees the previous complete set or the new complete set,
  never a mixture and never nothing;
- elsewhere by two renames (old set aside, new set in): a kill between them leaves both complete
  sets aside, and the next run puts the newest back in place.

Leftovers of a killed run (a half-written new set, an old set not yet removed) are hidden
siblings named after the set; the next run that writes the same set removes them (those of a
process still running are left alone).

A folder is only ever replaced if cfe-opt wrote it: an empty folder, or a set whose ``run.json``
lists every file in it. Anything else (a folder with the user's own files, a file, a link, the
working folder) is refused before any computation starts, so a mistyped ``--out`` cannot
destroy anything.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import math
import os
import platform
import secrets
import shutil
import stat
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from cfe_opt.errors import CfeOptError

RECORD = "run.json"
RECORD_FORMAT = 1
TOOL = "cfe-opt"
_TAG = ".cfe-opt-"  # leftovers: .NAME.cfe-opt-new-PID-TOKEN, .NAME.cfe-opt-old-PID-TOKEN
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev", "/run")
PAUSE_ENV = "CFE_OPT_WRITE_PAUSE"  # testing hook: seconds to pause after each file written

Content = bytes | Callable[[Path], None]  # bytes, or a function that writes the file at a path


class OutputError(CfeOptError):
    """An output folder that cannot be used; nothing was written or removed."""

    exit_code = 2


@dataclass(frozen=True)
class Published:
    folder: Path
    files: tuple[str, ...]  # in the order given, run.json last
    replaced: dict[str, Any] | None  # the record of the set this one replaced, if any


# ---- checking a folder before anything is computed -------------------------------------------
def output_folder(text: str | None, default: Path) -> Path:
    """The folder a command's set will be, from ``--out`` (or ``default``), checked now.

    Raises ``OutputError`` (one line, exit 2) for an empty path, the working folder or one of
    its ancestors, a system folder, an existing file or link, a path under a file, a folder
    cfe-opt did not write, or a place where nothing can be created."""
    folder, label = _checked_path(text, default)
    _check_replaceable(folder, label)
    return folder


def sets_folder(text: str | None, default: Path, sets: list[str]) -> dict[str, Path]:
    """A folder of several output sets (``solve`` of a file with cases: one set per case and
    one for the table beside them), from ``--out`` (or ``default``), checked now like
    ``output_folder``: the folder itself may hold only those sets; each set is checked as a
    set. Returns each set's folder by name."""
    root, label = _checked_path(text, default)
    if _check_place(root, label):
        try:
            names = sorted(entry.name for entry in os.scandir(root))
        except OSError as exc:
            raise OutputError(f"{label}: cannot list {root} ({_reason(exc)})") from None
        foreign = [name for name in names if name not in sets]
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more"
                                              if len(foreign) > 3 else "")
            raise OutputError(f"{label}: {root} holds files cfe-opt did not write ({shown}), "
                              "none of them a set of this file's; give a new or empty folder, "
                              "or one an earlier 'solve' of the same file wrote")
        _check_writable(root, label)
    out = {}
    for name in sets:
        folder = root / name
        _check_replaceable(folder, f"{label} (its set {name})")
        out[name] = folder
    return out


def _checked_path(text: str | None, default: Path) -> tuple[Path, str]:
    """The folder named by ``--out`` (or ``default``), resolved, with the label its errors
    start with; refused if it cannot be a folder of outputs at all."""
    shown = "--out" if text is not None else "output folder"
    if text is not None:
        if not text.strip():
            raise OutputError("--out '': an empty path; give the name of a folder for this "
                              "command's outputs")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            raise OutputError(f"--out {text!r}: control characters in a folder name")
        path = Path(text)
    else:
        path = default
    absolute = Path(os.path.abspath(path))  # normalises a/.. without following links
    label = f"{shown} {text if text is not None else path}"
    if absolute == Path(absolute.anchor):
        raise OutputError(f"{label}: the filesystem root; give a folder of its own for this "
                          "command's outputs")
    if path.name in ("", ".", ".."):
        raise OutputError(f"{label}: names a folder by '.' or '..'; give a folder of its own "
                          "for this command's outputs")
    try:
        parent = absolute.parent.resolve()
    except (OSError, RuntimeError) as exc:
        raise OutputError(f"{label}: cannot use this path ({_reason(exc)})") from None
    folder = parent / absolute.name
    if any(folder == Path(s) or folder.is_relative_to(s) for s in SYSTEM_FOLDERS):
        raise OutputError(f"{label}: {folder} is a system folder; give a folder of your own")
    _check_ancestors(folder.parent, label)
    return folder, label


def _check_ancestors(parent: Path, label: str) -> None:
    """The nearest existing ancestor must be a folder we may create things in."""
    probe = parent
    while True:
        try:
            info = probe.stat()
        except (FileNotFoundError, NotADirectoryError):  # missing, or under a file: go up
            probe = probe.parent
            continue
        except OSError as exc:
            raise OutputError(f"{label}: cannot use {probe} ({_reason(exc)})") from None
        break
    if not stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{label}: {probe} is a file, not a folder, so nothing can be written "
                          "under it")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"{label}: cannot write in {probe} (permission denied)")


def _check_place(folder: Path, label: str) -> bool:
    """``folder``, if it exists, is a real folder we may use: not a link, not a file, not the
    working folder or one of its ancestors. Returns whether it exists."""
    try:
        info = folder.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        raise OutputError(f"{label}: cannot use {folder} ({_reason(exc)})") from None
    if stat.S_ISLNK(info.st_mode):
        raise OutputError(f"{label}: {folder} is a symbolic link; give the folder itself")
    if not stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{label}: {folder} is an existing file, not a folder; nothing was "
                          "written")
    cwd = Path.cwd().resolve()
    if cwd == folder or cwd.is_relative_to(folder):
        raise OutputError(f"{label}: {folder} is the working folder or contains it; give a "
                          "folder of its own for this command's outputs")
    return True


def _check_writable(folder: Path, label: str) -> None:
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{label}: cannot replace {folder} (permission denied)")


def _check_replaceable(folder: Path, label: str) -> None:
    if not _check_place(folder, label):
        return
    foreign = foreign_entries(folder)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3
                                          else "")
        raise OutputError(f"{label}: {folder} holds files cfe-opt did not write ({shown}); "
                          "give a new or empty folder, or one an earlier cfe-opt command wrote")
    _check_writable(folder, label)


def foreign_entries(folder: Path) -> list[str]:
    """Entries of ``folder`` that no cfe-opt record there accounts for (sorted)."""
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except OSError as exc:
        raise OutputError(f"cannot list {folder} ({_reason(exc)})") from None
    if not names:
        return []
    record = read_record(folder)
    if record is None:
        return names
    listed = set(record.get("files", {})) | {RECORD}
    return [name for name in names if name not in listed]


def read_record(folder: Path) -> dict[str, Any] | None:
    """The folder's ``run.json`` if it is a cfe-opt record, else None."""
    try:
        with open(folder / RECORD, "rb") as handle:
            data = json.loads(handle.read(1 << 20))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("tool") != TOOL or not isinstance(
            data.get("files"), dict):
        return None
    return data


def is_complete(folder: Path) -> bool:
    """Whether ``folder`` is one whole set: a record, and exactly the files it lists, each with
    the size and sha256 the record gives."""
    record = read_record(folder)
    if record is None:
        return False
    try:
        names = {entry.name for entry in os.scandir(folder)}
    except OSError:
        return False
    if names != set(record["files"]) | {RECORD}:
        return False
    for name, meta in record["files"].items():
        try:
            data = (folder / name).read_bytes()
        except OSError:
            return False
        if not isinstance(meta, dict) or len(data) != meta.get("bytes") or (
                hashlib.sha256(data).hexdigest() != meta.get("sha256")):
            return False
    return True


# ---- writing a set ----------------------------------------------------------------------------
def publish(folder: Path, files: Mapping[str, Content], record: dict[str, Any]) -> Published:
    """Write ``files`` and ``run.json`` (``record`` plus the files' sizes and hashes) as the set
    ``folder``, replacing the set there as a whole (see the module docstring)."""
    for name in files:
        if name == RECORD or not name or "/" in name or name.startswith("."):
            raise ValueError(f"not a file name for a set: {name!r}")
    label = f"output folder {folder}"
    parent = folder.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{label}: cannot create {parent} ({_reason(exc)})") from None
    recover_leftovers(folder)
    _check_replaceable(folder, label)  # again: the folder may have changed while computing
    previous = read_record(folder) if folder.exists() else None
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    staging = parent / f".{folder.name}{_TAG}new-{token}"
    try:
        staging.mkdir(mode=0o700)
        listing: dict[str, dict[str, Any]] = {}
        for name, content in files.items():
            listing[name] = _write_file(staging / name, content)
            _pause()
        full = {**record, "files": listing}
        _write_file(staging / RECORD, (json.dumps(_json_safe(full), indent=2,
                                                  ensure_ascii=False) + "\n").encode())
        os.chmod(staging, 0o777 & ~_umask())
        _fsync_dir(staging)
        _swap_in(staging, folder, token)
    except OSError as exc:
        with contextlib.suppress(OSError):
            shutil.rmtree(staging)
        raise OutputError(f"{label}: cannot write the outputs ({_reason(exc)}); the previous "
                          "outputs there, if any, are unchanged") from None
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(staging)
        raise
    return Published(folder=folder, files=(*files, RECORD), replaced=previous)


def _write_file(path: Path, content: Content) -> dict[str, Any]:
    if callable(content):
        content(path)
        with open(path, "rb") as handle:
            data = handle.read()
        fd = os.open(path, os.O_RDWR)
    else:
        data = content
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(path, 0o666 & ~_umask())
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _swap_in(staging: Path, folder: Path, token: str) -> None:
    if not folder.exists():
        os.rename(staging, folder)
        _fsync_dir(folder.parent)
        return
    if _exchange(staging, folder):  # staging now holds the previous set
        _fsync_dir(folder.parent)
        shutil.rmtree(staging)
        return
    aside = folder.parent / f".{folder.name}{_TAG}old-{token}"
    os.rename(folder, aside)
    os.rename(staging, folder)
    _fsync_dir(folder.parent)
    shutil.rmtree(aside)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    error = ctypes.get_errno()
    if error in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the filesystem cannot exchange
        return False
    raise OSError(error, os.strerror(error))


def recover_leftovers(folder: Path) -> None:
    """Remove what killed runs left beside ``folder``; if the set itself is missing (a kill
    between the two renames of the fallback swap), put the newest complete leftover back."""
    prefix = f".{folder.name}{_TAG}"
    try:
        entries = [e for e in os.scandir(folder.parent) if e.name.startswith(prefix)]
    except OSError:
        return
    dead = []
    for entry in entries:
        kind, _, rest = entry.name[len(prefix):].partition("-")
        pid = rest.split("-", 1)[0]
        if kind not in ("new", "old") or not pid.isdigit():
            continue
        if int(pid) != os.getpid() and _alive(int(pid)):
            continue
        dead.append(Path(entry.path))
    if not folder.exists():
        complete = [p for p in dead if is_complete(p)]
        if complete:
            newest = max(complete, key=lambda p: (read_record(p) or {}).get("written", ""))
            os.rename(newest, folder)
            dead.remove(newest)
    for path in dead:
        with contextlib.suppress(OSError):
            shutil.rmtree(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _pause() -> None:
    seconds = os.environ.get(PAUSE_ENV)
    if seconds:
        with contextlib.suppress(ValueError):
            time.sleep(float(seconds))


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can fsync a folder
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError):
        return "symbolic link loop"
    return getattr(exc, "strerror", None) or str(exc)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


# ---- the record -------------------------------------------------------------------------------
def versions() -> dict[str, str]:
    """Versions of cfe-opt, Python and the libraries an answer depends on."""
    out = {"python": platform.python_version(), "platform": platform.platform(terse=True)}
    for name in ("cfe-opt", "pulp", "highspy", "pandas", "numpy", "matplotlib", "pydantic",
                 "pyyaml"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed" if name != "cfe-opt" else "0+unknown (source tree)"
    return out


def new_record(command: str, argv: list[str], parameters: dict[str, Any],
               scenario: dict[str, Any] | None) -> dict[str, Any]:
    """The record of one run, before its files are listed."""
    return {
        "tool": TOOL,
        "format": RECORD_FORMAT,
        "command": command,
        "argv": list(argv),
        "working_folder": str(Path.cwd()),
        "scenario": scenario,
        "parameters": parameters,
        "versions": versions(),
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def set_name(command: str, parameters: dict[str, Any], defaults: dict[str, Any]) -> str:
    """``command`` when every parameter has its default, else ``command-DIGEST``: the first 8
    hex digits of the sha256 of the parameters (so a different question gets its own folder and
    the same question replaces its earlier answer)."""
    if all(parameters.get(k) == defaults.get(k) for k in set(parameters) | set(defaults)):
        return command
    canonical = json.dumps(_json_safe(parameters), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    return f"{command}-{hashlib.sha256(canonical.encode()).hexdigest()[:8]}"
