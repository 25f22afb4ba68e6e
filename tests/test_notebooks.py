"""The notebooks (notebooks/*.py, jupytext percent format) run top to bottom in a fresh kernel,
against small fixture studies and scenarios given through their parameters cell (papermill
style: a cell tagged ``parameters``, overridden by an injected cell after it). A cell that
raises fails the test, and so does a cell that runs past its budget (a cell tag
``budget-SECONDS``, else ``CELL_BUDGET``): nbclient stops it there.

The notebooks use cfe-opt's public API only (the modules documented in README.md and docs/):
checked here from their imports. A name ending in a dot is a package whose modules are all public
(``cfe_opt.analysis.``); any other name is that module exactly, so ``cfe_opt`` does not let
``cfe_opt.model.build`` through.
"""

from __future__ import annotations

import ast
import shutil
import time
from pathlib import Path

import pytest

from tests.report_support import REPO, STUDY

NOTEBOOKS = REPO / "notebooks"
CELL_BUDGET = 90  # seconds; a whole notebook must stay under two minutes on two cores
PUBLIC = ("cfe_opt", "cfe_opt.analysis.", "cfe_opt.plots.", "cfe_opt.study",
          "cfe_opt.study.robustness", "cfe_opt.study.discovery", "cfe_opt.study.sensitivity",
          "cfe_opt.study.diff", "cfe_opt.whatif", "cfe_opt.reports", "cfe_opt.scenario",
          "cfe_opt.solve", "cfe_opt.api", "cfe_opt.concession", "cfe_opt.history",
          "cfe_opt.text", "cfe_opt.cli")
MODELS = REPO / "models"

WEIGHTS_STUDY = """\
name: notebook test weights
base: report_two_party.yaml
objectives: [weighted]
sample:
  size: 8
  seed: 5
  method: saltelli
  axes:
    rus_weight: {field: parties.RUS.weight, distribution: log_uniform, low: 0.25, high: 4}
    tur_weight: {field: parties.TUR.weight, distribution: log_uniform, low: 0.25, high: 4}
"""


def _fixtures(root: Path) -> dict[str, dict[str, object]]:
    """Each notebook's parameters for CI: small studies and scenarios in ``root``."""
    fixtures = REPO / "tests" / "fixtures"
    for name in ("report_study_base.yaml", "report_two_party.yaml",
                 "report_two_party_deadlock.yaml"):
        shutil.copy(fixtures / name, root / name)
    (root / "flank.yaml").write_text(STUDY, encoding="utf-8")
    (root / "weights.yaml").write_text(WEIGHTS_STUDY, encoding="utf-8")
    return {
        # the bundled December 1998 scenarios are small enough to run as they are
        "01_flank_acv_tradeoffs": {"SCENARIO": str(MODELS / "talks_1998.yaml"),
                                   "MOSCOW": str(MODELS / "talks_1998_moscow_figure.yaml"),
                                   "STEP": 220},
        "02_freeze_vs_mandated_cuts": {
            "SCENARIO": str(MODELS / "talks_1998.yaml"),
            "MANDATED": str(MODELS / "talks_1998_mandated_cuts.yaml"),
            "UNIFORM": str(MODELS / "talks_1998_uniform_cut.yaml"),
            "RESTRAINT": str(MODELS / "talks_1998_comparable_restraint.yaml")},
        "03_study_explorer": {"FLANK_STUDY": str(root / "flank.yaml"),
                              "FLANK_STORE": str(root / "flank-store"),
                              "WEIGHTS_STUDY": str(root / "weights.yaml"),
                              "WEIGHTS_STORE": str(root / "weights-store"), "WORKERS": 1},
        "05_what_if": {"SCENARIO": str(root / "report_two_party_deadlock.yaml"),
                       "POSITION": "RUS.flank_acv", "RED_LINE": "RUS.flank_floor",
                       "PINS": str(root / "pins.yaml"), "STORE": str(root / "pins-store")},
        "04_history_check": {"SCENARIO": str(MODELS / "talks_1998.yaml"),
                             "OUT": str(root / "history")},
    }


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))


def _budget(cell) -> int:
    for tag in cell.get("metadata", {}).get("tags", []):
        if tag.startswith("budget-"):
            return int(tag.split("-", 1)[1])
    return CELL_BUDGET


def _inject(notebook, parameters: dict[str, object]) -> None:
    import nbformat

    index = next(i for i, cell in enumerate(notebook.cells)
                 if "parameters" in cell.get("metadata", {}).get("tags", []))
    source = "# Parameters injected by tests/test_notebooks.py\n" + "\n".join(
        f"{name} = {value!r}" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    notebook.cells.insert(index + 1, cell)


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.stem)
def test_notebook_runs_in_a_fresh_kernel(path, tmp_path):
    import jupytext
    from nbclient import NotebookClient

    parameters = _fixtures(tmp_path).get(path.stem)
    assert parameters is not None, f"{path.name}: no CI parameters in tests/test_notebooks.py"
    notebook = jupytext.read(path)
    _inject(notebook, parameters)
    work = tmp_path / "notebooks"
    work.mkdir()
    client = NotebookClient(notebook, kernel_name="python3", timeout=CELL_BUDGET,
                            timeout_func=_budget, allow_errors=False,
                            resources={"metadata": {"path": str(work)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    print(f"{path.name}: {seconds:.1f} s")  # measured, not asserted (speed is for benchmarks)
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert errors == []
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.strip():
            assert cell.get("execution_count") is not None, cell.source[:60]


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.stem)
def test_notebook_is_text_with_a_parameters_cell(path):
    import jupytext

    text = path.read_text(encoding="utf-8")
    assert "format_name: percent" in text
    notebook = jupytext.read(path)
    tagged = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code"
    assert notebook.cells[0].cell_type == "markdown"
    paired = path.with_suffix(".ipynb")
    if paired.exists():  # a paired notebook is kept without outputs
        import nbformat

        stored = nbformat.read(paired, as_version=4)
        assert all(not c.get("outputs") for c in stored.cells if c.cell_type == "code")


def _is_public(module: str) -> bool:
    return any(module.startswith(p) if p.endswith(".") else module == p for p in PUBLIC)


def _imports(source: str) -> list[tuple[str, list[str]]]:
    """(module, names imported from it) for every cfe_opt import of a notebook."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "cfe_opt"):
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((a.name, []) for a in node.names if a.name.startswith("cfe_opt"))
    return found


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.stem)
def test_notebook_uses_the_public_api_only(path):
    for module, names in _imports(path.read_text(encoding="utf-8")):
        assert _is_public(module), module
        assert not any(n.startswith("_") for n in names), (module, names)


def test_the_public_rule_refuses_what_is_not_documented():
    found = _imports("import cfe_opt.model.build\nfrom cfe_opt.plots._common import axes\n"
                     "from cfe_opt.analysis.sweep import sweep, _bisect\n")
    assert [m for m, _ in found] == ["cfe_opt.model.build", "cfe_opt.plots._common",
                                     "cfe_opt.analysis.sweep"]
    assert not _is_public("cfe_opt.model.build")  # "cfe_opt" is the package itself only
    assert not _is_public("cfe_opt.results")
    assert _is_public("cfe_opt.plots._common")  # the module is public, its names with _ are not
    assert _is_public("cfe_opt.analysis.sweep") and _is_public("cfe_opt")


def test_every_notebook_of_the_issue_is_there():
    stems = {p.stem for p in _notebooks()}
    assert stems == {"01_flank_acv_tradeoffs", "02_freeze_vs_mandated_cuts",
                     "03_study_explorer", "04_history_check", "05_what_if"}
