"""The scenarios that ship with cfe-opt: where they are, what they are, copying them out.

``models/`` in the source tree is the one copy: the wheel installs it as the package data
``cfe_opt.bundled`` (setup.py maps the folder), so ``importlib.resources`` finds it in an
installed package, and a source checkout (editable install or not) reads ``models/`` itself.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from cfe_opt.errors import CfeOptError
from cfe_opt.outputs import SYSTEM_FOLDERS

DATA_PACKAGE = "cfe_opt.bundled"
MARKER = "talks_1998.yaml"  # a file every copy of the bundled scenarios has


@dataclass(frozen=True)
class BundledScenario:
    file: str  # file name inside the bundled folder
    name: str  # the scenario's ``name``
    extends: str | None
    description: str


def bundled_root() -> Path:
    """The folder holding the bundled scenarios (and their ``data/``)."""
    for candidate in _candidates():
        if (candidate / MARKER).is_file():
            return candidate
    raise CfeOptError("the bundled scenarios are not installed with this copy of cfe-opt "
                      "(reinstall it, or use a source checkout's models/ folder)")


def _candidates() -> list[Path]:
    out = []
    with contextlib.suppress(ImportError, ValueError):
        spec = importlib.util.find_spec(DATA_PACKAGE)
        if spec is not None:
            out += [Path(p) for p in spec.submodule_search_locations or []]
    here = Path(__file__).resolve().parent
    out += [here / "bundled", here.parent / "models"]  # installed wheel; source checkout
    return out


def bundled_files(root: Path | None = None) -> list[Path]:
    """Every file to copy, relative to the root: the scenarios, then ``data/``."""
    root = root or bundled_root()
    scenarios = sorted(p.relative_to(root) for p in root.glob("*.yaml") if p.is_file())
    data = sorted(p.relative_to(root) for p in (root / "data").rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)
    return [*scenarios, *data]


def list_bundled() -> list[BundledScenario]:
    """The bundled scenarios with their names, what each extends, and a line about each."""
    from cfe_opt.scenario.loader import is_text_field
    from cfe_opt.scenario.yaml_safe import read_yaml

    root = bundled_root()
    out = []
    for path in sorted(root.glob("*.yaml")):
        data = read_yaml(path, path.name, keep_text=is_text_field).data
        data = data if isinstance(data, dict) else {}
        description = " ".join(str(data.get("description") or "").split())
        first = description.split(". ")[0].rstrip(".")
        out.append(BundledScenario(file=path.name, name=str(data.get("name", "")),
                                   extends=data.get("extends"),
                                   description=first[:117] + "…" if len(first) > 118
                                   else first))
    return out


def copy_bundled(target: Path) -> list[Path]:
    """Copy the bundled scenarios and their ``data/`` folder into ``target`` (created if
    missing). Nothing is overwritten: if any file to be copied exists there, nothing is copied
    and the error names it. Returns the files written."""
    root = bundled_root()
    target = Path(os.path.abspath(target))
    if any(target == Path(s) or target.is_relative_to(s) for s in SYSTEM_FOLDERS):
        raise CfeOptError(f"{target}: a system folder; copy into a folder of your own")
    probe = target
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise CfeOptError(f"{target}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise CfeOptError(f"{target}: cannot write in {probe} (permission denied)")
    files = bundled_files(root)
    clashes = [str(target / f) for f in files if os.path.lexists(target / f)]
    if clashes:
        more = f" (and {len(clashes) - 1} more of the files to copy)" if len(clashes) > 1 else ""
        raise CfeOptError(f"{clashes[0]} already exists{more}; nothing was copied (copy into "
                          "a new folder, or move those files away first)")
    written: list[Path] = []
    try:
        for rel in files:
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            _copy_new(root / rel, dest)
            written.append(dest)
    except OSError as exc:
        for path in written:  # all or nothing
            with contextlib.suppress(OSError):
                path.unlink()
        raise CfeOptError(f"{target}: cannot copy the scenarios ({exc.strerror or exc}); "
                          "nothing was left behind") from None
    return written


def _copy_new(source: Path, dest: Path) -> None:
    """Copy a file to a path that must not exist (never replaces one, even in a race)."""
    tmp = dest.parent / f".{dest.name}.cfe-opt-copy-{os.getpid()}"
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.link(tmp, dest)  # fails if dest exists: no overwrite
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    if not stat.S_ISREG(dest.lstat().st_mode):
        raise OSError(f"{dest} is not a regular file")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
