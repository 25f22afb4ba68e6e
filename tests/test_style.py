"""The code base stays ruff-clean (the same check a developer runs: ruff check .)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    targets = [d for d in ("cfe_opt", "tests", "benchmarks") if (ROOT / d).is_dir()]
    proc = subprocess.run([ruff, "check", *targets], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
