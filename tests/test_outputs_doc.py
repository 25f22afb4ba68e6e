"""docs/outputs.md documents every column of every table the tool writes, run.json and
summary.json included: every command is run and each file it writes is compared with the page,
both ways (a column written but not documented, or documented but written by no run)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from outputs_doc import csv_header, documented, json_keys, matches

from cfe_opt.cli import main

MODELS = Path(__file__).resolve().parent.parent / "models"
FIELD = "parties.RUS.positions.flank_acv_active.target"
TC_POL = "{of: territorial_ceiling, parties: [POL], categories: [tanks]}"
TD_POL = "{of: temporary_deployment, parties: [POL], categories: [tanks]}"
RANGED = """\
name: Flank ranges that clash
extends: talks_1998.yaml
parties:
  RUS: {positions: {flank_acv_active: {range: {min: 1700}}}}
  TUR: {positions: {no_new_flank_numbers_acv: {range: {max: 1600}}}}
"""
PARTIES = {"USA", "RUS", "POL", "CZE", "DEU", "TUR", "NOR", "UKR", "BEL", "DNK", "FRA", "GRC",
           "ISL", "ITA", "LUX", "NLD"}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> list[Path]:
    """Every command, on the bundled scenarios: the folders of their output sets."""
    root = tmp_path_factory.mktemp("outputs")
    models = root / "models"
    shutil.copytree(MODELS, models)
    (models / "ranged.yaml").write_text(RANGED)
    talks = models / "talks_1998.yaml"
    deadlock = models / "talks_1998_flank_deadlock.yaml"
    base = ["--case", "base"]
    runs = [
        (["solve", talks, "--write-model"], 0),  # every case: a folder of sets
        (["solve", talks, *base, "--robustness"], 0),
        (["solve", deadlock], 1),
        (["diagnose", deadlock], 1),
        (["prices", talks, "--case", "etd_refused"], 0),
        (["sweep", talks, *base, "--vary", f"{FIELD}=1000:2000:500", "--objective", "minimax"],
         0),
        (["sweep", deadlock, "--vary",
          "parties.RUS.red_lines.flank_acv_active_floor.value=500:700:100"], 0),
        (["frontier", talks, "RUS", "TUR+NOR", *base], 0),
        (["zopa", models / "ranged.yaml", "RUS.flank_acv_active"], 0),  # extends: no cases
        (["zopa", talks, TC_POL, TD_POL, *base], 0),  # Poland's permanent and temporary
        (["bargain", talks, *base], 0),
        (["alternatives", talks, "-k", "2", *base], 0),
    ]
    folders = []
    for i, (argv, code) in enumerate(runs):
        out = root / f"set{i}"
        assert main([str(a) for a in argv] + ["--out", str(out)]) == code, argv
        if (out / "run.json").exists():
            folders.append(out)
        else:  # a folder of sets, one per case and one for cases.csv
            folders += sorted(p for p in out.iterdir() if p.is_dir())
    history = root / "history"
    assert main(["history", str(root / "set0" / "base"), "--out", str(history)]) == 0
    folders.append(history)
    return folders


def _files(folders: list[Path]) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for folder in folders:
        for path in sorted(folder.iterdir()):
            found.setdefault(path.name, []).append(path)
    return found


def test_every_file_written_is_documented(written):
    docs = documented()
    missing = sorted(set(_files(written)) - set(docs))
    assert not missing, f"written but not in docs/outputs.md: {missing}"


def test_every_column_written_is_documented_and_every_documented_one_written(written):
    docs = documented()
    problems = []
    for name, paths in _files(written).items():
        if name.endswith(".csv"):
            seen = [c for p in paths for c in csv_header(p)]
        elif name.endswith(".json"):
            seen = sorted({k for p in paths for k in json_keys(p)})
        else:
            continue
        entries = docs[name]
        problems += [f"{name}: {c} written, not documented" for c in dict.fromkeys(seen)
                     if not matches(c, entries, PARTIES)]
        problems += [f"{name}: {c} documented, written by no run" for c in entries
                     if "<" not in c and c not in seen]
    assert not problems, "\n".join(problems)


def test_the_checks_catch_a_stale_page(tmp_path, monkeypatch):
    """The comparison is not vacuous: a page without a column, or with one too many, fails."""
    import outputs_doc

    page = outputs_doc.DOC.read_text(encoding="utf-8")
    stale = tmp_path / "outputs.md"
    stale.write_text(page.replace("| `in_area_after` |", "| `in_area_afterwards` |"))
    monkeypatch.setattr(outputs_doc, "DOC", stale)
    docs = documented()
    assert "in_area_after" not in docs["allocation.csv"]
    assert "in_area_afterwards" in docs["allocation.csv"]
    assert "point" in docs["frontier_positions.csv"]  # a reference is expanded
    assert "within_range" in docs["frontier_positions.csv"]
    assert matches("RUS", docs["alternatives.csv"], {"RUS"})
    assert not matches("XYZ", docs["alternatives.csv"], {"RUS"})


# ---- tidy tables -----------------------------------------------------------------------------
def test_not_modelled_is_empty_never_zero_and_levels_do_not_mix(written):
    """Talks 1998, case base: Turkey's equipment is not modelled, so its territory holds no
    known equipment — empty, not 0; Russia's flank holds its 1996 freeze holdings (4,397 ACVs,
    cut to the 1,380 sub-ceiling). A state row's area columns and an area row's state columns
    are empty, so summing a column over a party's rows counts nothing twice."""
    import pandas as pd

    allocation = pd.read_csv(written[0] / "allocation.csv", keep_default_na=False)

    def row(party: str, area: str) -> pd.Series:
        return allocation[(allocation["party"] == party) & (allocation["area"] == area)
                          & (allocation["category"] == "acv")].iloc[0]

    turkey = row("TUR", "main")
    assert turkey["in_area_before"] == "" and turkey["in_area_after"] == ""
    flank = row("RUS", "flank")
    assert float(flank["in_area_before"]) == 4397 and float(flank["in_area_after"]) == 1380
    assert float(flank["territorial_subceiling"]) == 1380
    assert float(flank["active_subceiling"]) == 580
    assert flank["territorial_ceiling"] == "" and flank["on_territory_after"] == ""
    state = allocation[allocation["area"] == "total"]
    area = allocation[allocation["area"] != "total"]
    from cfe_opt.results import AREA_COLUMNS, STATE_COLUMNS

    assert (state[AREA_COLUMNS] == "").all().all()
    assert (area[STATE_COLUMNS] == "").all().all()


def test_constraints_csv_holds_no_solver_rows(written):
    """Stage holds, tie-break distances, the minimax level and an analysis's limits are the
    solver's, not the package's: none is in constraints.csv."""
    import pandas as pd

    constraints = pd.read_csv(written[0] / "constraints.csv")
    assert not constraints["name"].str.startswith("objective.").any()
    assert "objective" not in set(constraints["kind"])
    assert set(constraints["kind"]) <= {"definition", "treaty_rule", "commitment", "red_line",
                                        "position"}
