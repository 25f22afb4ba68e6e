"""Helpers for study tests: a models/ tree with two talks scenarios and a studies/ folder.

The scenarios are the bundled talks files as they were before issue 7 rebuilt them, frozen in
tests/fixtures/: the study tests' hand-derived values are about those files, and the studies
machinery they test does not depend on what the talks scenarios say."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "talks_1998_before_issue_7"


def make_tree(root: Path) -> Path:
    (root / "models").mkdir(exist_ok=True)
    for name in ("talks_1998.yaml", "talks_1998_flank_deadlock.yaml"):
        shutil.copy(FIXTURES / name, root / "models" / name)
    (root / "studies").mkdir(exist_ok=True)
    return root


def write_study(root: Path, text: str, name: str = "study.yaml") -> Path:
    path = root / "studies" / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


class CrashingEvaluator:
    """The reference evaluator, except that its worker process dies on Turkey's weight 2 (as a
    solver crash would)."""

    name = "crashing"

    def __init__(self, study):
        from cfe_opt.study.evaluate import ReferenceEvaluator

        self.inner = ReferenceEvaluator(study)

    def evaluate(self, variants):
        import os

        for variant in variants:
            if variant.changes.get("parties.TUR.weight") == 2:
                os._exit(3)
        rows = self.inner.evaluate(variants)
        for row in rows:
            row["run.evaluator"] = self.name
        return rows
