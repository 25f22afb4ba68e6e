"""docs/studies.md stays in step with the code: every study-file field and every row column."""

from __future__ import annotations

from pathlib import Path

from cfe_opt.study.definition import _FIELD_NAMES
from cfe_opt.study.layout import HEAD_COLUMNS, TAIL_COLUMNS, RowLayout
from cfe_opt.study.load import load_study

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "studies.md").read_text(encoding="utf-8")


def test_every_study_file_field_is_documented():
    table = DOC.split("| field | meaning |")[1].split("\n\n")[0]
    rows = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    missing = [name for name in _FIELD_NAMES if not any(f"`{name}`" in r for r in rows)]
    assert not missing, f"study-file fields missing from docs/studies.md: {missing}"


def test_every_row_column_is_documented():
    fixed = [name for name, _ in (*HEAD_COLUMNS, *TAIL_COLUMNS)]
    families = ["party_deviation.P", "achieved.P.n", "deviation.P.n",
                "normalised_deviation.P.n", "NC.P.c", "TC.P.c", "TSC.P.a.c", "TSCa.P.a.c",
                "TD.P.c", "TD.P.a.c", "ETD.P.c",
                "binding", "price_up.R`, `price_down.R"]
    for name in [*fixed, *families]:
        assert f"| `{name}` |" in DOC, f"column {name} is not in the row schema table"


def test_the_documented_families_are_the_layouts():
    layout = RowLayout(parties=("P",), positions=(("P", "n"),),
                       ceilings=(("NC.P.c", ("national_ceiling", "P", "c")),),
                       prices=("R",))
    names = [name for name, _ in layout.columns()]
    assert names == ["key", "mode", "status", "reason", "objective", "party_deviation.P",
                     "achieved.P.n", "deviation.P.n", "normalised_deviation.P.n", "NC.P.c",
                     "binding", "price_up.R", "price_down.R", "concession_total", "concession",
                     "conflict", "solver", "solver_version", "cfe_opt_version", "base_sha256",
                     "model_version", "run.evaluator", "run.rebuilt", "run.cold_check",
                     "run.seconds"]


def test_the_bundled_example_study_is_valid():
    study = load_study(ROOT / "studies" / "talks_1998_flank.yaml")
    assert study.spec.sample is not None and study.spec.sample.method == "sobol"
    assert [c for c, _ in study.layout.ceilings] == [
        "TSC.RUS.flank.tanks", "TSC.RUS.flank.acv", "TSC.RUS.flank.artillery",
        "TSCa.RUS.flank.tanks", "TSCa.RUS.flank.acv", "TSCa.RUS.flank.artillery",
        "TD.POL.tanks", "TD.POL.acv", "TD.POL.artillery"]
    # the joint Turkish-Norwegian position gives Norway a deviation column of its own
    assert study.layout.parties == ("RUS", "TUR", "NOR", "POL", "CZE", "USA")
