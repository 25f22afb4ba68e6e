"""Pinning what-if settings as a variant row of a study, so an insight from exploring is
reproducible in the batch store.

A *pins study* is an ordinary study file (docs/studies.md) that the what-if panel writes: its
base is the session's scenario, its objective modes those pinned, and one cases axis,
``pinned``, with one named case per pinned setting (its field changes; ``null`` for a red line
switched off). ``cfe-opt study run PINS --out STORE`` (or ``pin(..., store=STORE)``) computes
each as a row of the store, identified by its content like every variant: the same settings
give the same key, so a pin made twice is one case, and its row is what the panel showed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cfe_opt.errors import CfeOptError

AXIS = "pinned"


class PinError(CfeOptError):
    exit_code = 2


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if hasattr(value, "item"):  # numpy scalars from widgets
        return _plain(value.item())
    return value


def pin(settings: dict[str, Any], objective: str, scenario_file: str | Path,
        study: str | Path, name: str | None = None, store: str | Path | None = None,
        ) -> str:
    """Add ``settings`` (under ``objective``) as a case of the pins study ``study`` (made if
    missing, with ``scenario_file`` as its base); the case's name. With ``store``, the study
    is run into that store at once (only the new variants are computed)."""
    import yaml

    from cfe_opt.io import write_atomic
    from cfe_opt.scenario.yaml_safe import parse_yaml

    path = Path(study)
    base = Path(scenario_file)
    changes = {str(k): _plain(v) for k, v in sorted(settings.items())}
    if path.exists():
        data = parse_yaml(path.read_text(encoding="utf-8"), str(path)).data
        axes = data.get("axes") if isinstance(data, dict) else None
        if not isinstance(axes, dict) or set(axes) != {AXIS} or "cases" not in axes[AXIS]:
            raise PinError(f"{path}: not a pins study (one cases axis '{AXIS}'); give a new "
                           "file for the pins")
    else:
        relative = os.path.relpath(base.resolve(), path.resolve().parent)
        data = {"name": f"what-if pins on {base.name}",
                "description": "settings pinned from the what-if panel (cfe_opt.whatif)",
                "base": relative, "objectives": [], "axes": {AXIS: {"cases": {}}}}
    cases = data["axes"][AXIS]["cases"]
    found = next((case for case, known in cases.items() if (known or {}) == changes), None)
    if found is None:
        found = name or f"pin_{len(cases) + 1}"
        if found in cases:
            raise PinError(f"{path}: a pin named '{found}' exists with other settings")
        cases[found] = changes
    if objective not in data["objectives"]:
        data["objectives"].append(objective)
    text = ("# Settings pinned from the what-if panel: run with cfe-opt study run THIS --out "
            "STORE\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    write_atomic(path, text)
    from cfe_opt.study.load import load_study

    load_study(path)  # the file is a valid study of its base (else the error says why)
    if store is not None:
        from cfe_opt.study.progress import NullStream
        from cfe_opt.study.runner import run_study

        run_study(path, Path(store), workers=1, stream=NullStream())
    return found


def case_settings(changes: dict[str, Any]) -> dict[str, Any]:
    """The what-if settings of a pinned case (its field changes)."""
    return dict(changes or {})

