"""cfe-opt report: the findings, tables, figures, assumptions and provenance of a result folder
or a study store, as HTML, Markdown and Excel; deterministic; bad input refused in one line.

The two-party fixture (tests/fixtures/report_two_party.yaml) is small enough to solve by hand:
Russia wants its flank ACV sub-ceiling at least 2,000 (scale 300: its range starts at 1,700),
Turkey at most 1,380 (scale 1,380), Turkey's red line caps it at 1,800. Raising the ceiling v
costs Turkey 1/1,380 per unit and gains Russia 1/300, so v goes to the cap: v = 1,800, Russia
short by 200 (0.6667), Turkey over by 420 (0.3043), objective 200/300 + 420/1,380 = 0.971; the
cap's shadow price is −1/300 + 1/1,380 = −0.002609 per unit.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import subprocess
import sys
import zipfile

import pytest

from cfe_opt.cli import main
from cfe_opt.reports import build_document, render
from tests.report_support import REPO, solved, study_store


@pytest.fixture(scope="module")
def solve_dir(tmp_path_factory):
    return solved(tmp_path_factory.mktemp("two"))


@pytest.fixture(scope="module")
def deadlock_dir(tmp_path_factory):
    return solved(tmp_path_factory.mktemp("dead"), REPO / "tests" / "fixtures" /
                  "report_two_party_deadlock.yaml")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return study_store(tmp_path_factory.mktemp("study"))


def _report(capsys, *args):
    code = main(["report", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---- a solve's folder -------------------------------------------------------------------------
def test_solve_findings_are_the_hand_derived_package(solve_dir):
    document = build_document(solve_dir)
    assert document.title == "Two parties and a flank"
    # 53 checks: per party and category (RUS, TUR × tanks, acv) the allowance checks of a
    # temporary deployment of each kind (basic, exceptional) at the state and in the flank area
    # (12), the rest as before; the 6 figures are Russia's national and territorial ceilings (no
    # figure before), its flank sub-ceilings (tanks: none before; ACVs 1,380 → 1,800); the 5
    # assumptions are the fixture's four test figures and Turkey's default scale, which decides
    # the answer (its position is missed)
    assert document.narrative == [
        "A package meets every hard limit: all 53 hard limits hold by the independent check. "
        "Under the weighted objective its departure from the stated positions is 0.971.",
        "Russia concedes 200 of the 2,000 ACVs it sought (flank_acv): the package gives 1,800, "
        "within its acceptable range (at least 1,700).",
        "Turkey accepts 1,800 ACVs where it sought at most 1,380 (flank_no_rise): 420 more.",
        "The binding limit \u201cflank_cap\u201d (Turkey's red line, ≤ 1,800 ACVs; "
        "limit.TUR.flank_cap) costs 0.002609 per unit: one more would lower the objective by "
        "that much.",
        "6 national or territorial figures change (table below).",
        "The result rests on 5 stated assumptions (listed below).",
    ]
    changes = next(t.frame for t in document.tables() if t.name == "changes")
    flank = changes.loc[("RUS", "flank", "acv", "territorial sub-ceiling")]
    assert (flank["before"], flank["after"], flank["change"]) == (1380, 1800, 420)
    positions = document.tables()[0].frame
    assert positions.loc[("RUS", "flank_acv"), "achieved"] == 1800
    assert positions.loc[("TUR", "flank_no_rise"), "deviation"] == 420
    assert [f.name for f in document.figures()] == ["package.png", "binding.png"]
    provenance = dict(document.provenance)
    assert provenance["Scenario sha256 (merged)"] == _record(solve_dir)["scenario"]["sha256"]
    assert provenance["run.json sha256"] == hashlib.sha256(
        (solve_dir / "run.json").read_bytes()).hexdigest()
    assert provenance["Party names"].startswith("from ")
    assert provenance["Command"].startswith("cfe-opt solve ")


def test_one_case_of_a_file_with_cases_keeps_the_party_names(tmp_path):
    """A file with cases is solved into one folder per case, whose record holds the case's
    sha256: the names come from that case of the file, not from the file as written."""
    scenario = tmp_path / "two.yaml"
    scenario.write_text((REPO / "tests" / "fixtures" / "report_two_party.yaml").read_text(
        encoding="utf-8") + "cases:\n  as_written: {description: the file as written}\n"
        "  tighter:\n    description: Turkey's cap at 1,700\n    changes:\n"
        "      parties: {TUR: {red_lines: {flank_cap: {value: 1700}}}}\n", encoding="utf-8")
    out = tmp_path / "solved"
    assert main(["solve", str(scenario), "--out", str(out), "--quiet"]) == 0
    document = build_document(out / "tighter")
    assert document.narrative[1] == (
        "Russia concedes 300 of the 2,000 ACVs it sought (flank_acv): the package gives 1,700, "
        "within its acceptable range (at least 1,700).")  # the cap binds: 1,700, at the edge
    assert dict(document.provenance)["Party names"] == (
        f"from {scenario}, case tighter (the same sha256 as the run)")
    # the default file goes beside the folder of the cases, so the file can be solved again
    assert main(["report", str(out / "tighter")]) == 0
    assert (tmp_path / "solved-tighter.html").is_file()
    assert sorted(p.name for p in out.iterdir()) == ["as_written", "cases", "tighter"]
    assert main(["solve", str(scenario), "--out", str(out), "--quiet"]) == 0


def _record(folder):
    import json

    return json.loads((folder / "run.json").read_text())


def test_html_is_self_contained_and_holds_the_findings(solve_dir, tmp_path, capsys):
    out = tmp_path / "two.html"
    code, printed, err = _report(capsys, solve_dir, "--out", out)
    assert (code, err) == (0, "")
    assert f"report written to {out} (html" in printed
    page = out.read_text(encoding="utf-8")
    assert "Russia concedes 200 of the 2,000 ACVs it sought" in page
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page)  # nothing fetched
    assert "<script" not in page and "<link" not in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 2
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    for assumption in _summary(solve_dir)["assumptions"]:
        assert assumption.split(":")[0] in page
    assert _record(solve_dir)["scenario"]["sha256"] in page


def _summary(folder):
    import json

    return json.loads((folder / "summary.json").read_text())


def test_reports_are_byte_identical_across_runs(solve_dir, tmp_path):
    """The same folder gives the same bytes: twice in fresh processes, in every format."""
    for form in ("html", "md", "xlsx"):
        digests = set()
        for i in range(2):
            out = tmp_path / f"r{i}.{form}"
            subprocess.run([sys.executable, "-m", "cfe_opt", "report", str(solve_dir),
                            "--format", form, "--out", str(out)], check=True,
                           capture_output=True)
            digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
        assert len(digests) == 1, form


def test_markdown_has_the_same_content(solve_dir):
    document = build_document(solve_dir)
    text = render(document, "md", "solve").decode("utf-8")
    for line in document.narrative:
        assert f"- {line}" in text
    assert "| RUS | flank_acv | at_least | 2,000 | 1,800 | 200 |" in text
    assert text.count("](data:image/png;base64,") == 2
    assert "## Provenance" in text and "## What the result rests on" in text


def test_excel_sheets_read_back(solve_dir, tmp_path, capsys):
    import openpyxl

    out = tmp_path / "two.xlsx"
    code, _, err = _report(capsys, solve_dir, "--out", out)
    assert (code, err) == (0, "")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Summary", "positions", "changes", "binding", "allocation",
                               "equipment", "constraints", "Figures"]
    summary = book["Summary"]
    assert summary["A1"].value == "Two parties and a flank"
    assert summary["A5"].value.startswith("A package meets every hard limit")
    positions = book["positions"]
    header = [c.value for c in positions[1]]
    assert header[:6] == ["party", "position", "direction", "target", "achieved", "deviation"]
    rows = {(r[0], r[1]): r for r in positions.iter_rows(min_row=2, values_only=True)}
    assert rows[("RUS", "flank_acv")][3:6] == (2000, 1800, 200)
    assert rows[("TUR", "flank_no_rise")][3:6] == (1380, 1800, 420)
    assert positions["A1"].font.bold and positions["A1"].fill.fgColor.rgb.endswith("E8EEF5")
    assert positions.freeze_panes == "C2"
    assert positions["D2"].number_format == "#,##0"
    binding = book["binding"]
    price = [c.value for c in binding[1]].index("shadow_price")
    assert binding.cell(row=2, column=price + 1).value == pytest.approx(-1 / 300 + 1 / 1380,
                                                                         abs=1e-9)
    with zipfile.ZipFile(out) as archive:
        media = [n for n in archive.namelist() if n.startswith("xl/media/")]
        assert len(media) == 2
        assert all(archive.read(n)[:8] == b"\x89PNG\r\n\x1a\n" for n in media)
        assert archive.testzip() is None


def test_no_package_reports_the_smallest_concession(deadlock_dir):
    document = build_document(deadlock_dir)
    assert document.narrative[0] == ("No package meets every hard limit: they cannot all "
                                     "hold together.")
    assert document.narrative[1] == (
        "The smallest concession that would allow one: Russia's red line \u201cflank_floor"
        "\u201d (limit.RUS.flank_floor) moves from ≥ 1,900 to 1,800.")
    # moving Russia's floor by 100 is smaller than moving both of Turkey's caps (100 + 50)
    assert document.sections[0].tables[0].frame.loc["limit.RUS.flank_floor",
                                                     "change"] == -100


def test_another_commands_set_embeds_its_tables_and_figures(tmp_path, capsys):
    scenario = tmp_path / "two.yaml"
    scenario.write_bytes((REPO / "tests/fixtures/report_two_party.yaml").read_bytes())
    assert main(["prices", str(scenario), "--out", str(tmp_path / "prices")]) == 0
    capsys.readouterr()
    document = build_document(tmp_path / "prices")
    assert [t.name for t in document.tables()] == ["limit_costs", "shadow_prices"]
    assert [f.name for f in document.figures()] == ["shadow_prices.png"]
    assert document.figures()[0].png == (tmp_path / "prices" / "shadow_prices.png").read_bytes()
    assert document.narrative[0].startswith("The output of cfe-opt prices on Two parties")


# ---- a study store ----------------------------------------------------------------------------
def test_study_findings_come_from_queries_on_the_store(store):
    import cfe_opt.study

    document = build_document(store)
    assert document.kind == "study"
    # 2 cases × 2 floors × 4 draws; no package where the caps are red lines and the floor 1,900
    assert document.narrative[0] == ("Of 16 variants, 12 (75%) have a package that meets every "
                                     "hard limit; 4 (25%) have none.")
    discovery = [line for line in document.narrative if line.startswith("No deal")]
    assert discovery == ["No deal (no package meets every hard limit) occurs in 25% of the "
                         "variants; where rus_floor is 1,900 and flank_caps is not "
                         "positions_only, it occurs in 100% of them, and that box holds 100% of "
                         "all such variants (PRIM)."]
    with cfe_opt.study.open(store) as results:
        for finding, sql in document.queries:
            if sql.startswith("SELECT"):
                assert len(results.sql(sql)), finding  # each query runs on the store as listed
        counts = results.sql(document.queries[0][1])
    assert dict(zip(counts["status"], counts["variants"], strict=True)) == {
        "optimal": 12, "infeasible": 4}
    provenance = dict(document.provenance)
    assert provenance["Variants done"] == "16 of 16"
    assert provenance["Fingerprint"] == cfe_opt.study.open(store).manifest["fingerprint"]
    assert len(document.assumptions) > 0  # the base scenario's


def test_study_report_in_every_format(store, tmp_path, capsys):
    import openpyxl

    for form in ("html", "md", "xlsx"):
        out = tmp_path / f"study.{form}"
        code, _, err = _report(capsys, store, "--out", out)
        assert (code, err) == (0, ""), err
        assert out.stat().st_size > 1000
    page = (tmp_path / "study.html").read_text(encoding="utf-8")
    assert "Of 16 variants, 12 (75%)" in page and "The queries behind the findings" in page
    book = openpyxl.load_workbook(tmp_path / "study.xlsx")
    assert book.sheetnames[0] == "Summary" and "status" in book.sheetnames
    status = book["status"]
    rows = list(status.iter_rows(min_row=2, values_only=True))
    assert sorted(rows) == [("weighted", "infeasible", 4), ("weighted", "optimal", 12)]


def test_default_file_sits_beside_the_folder(solve_dir, capsys):
    code, _, _ = _report(capsys, solve_dir, "--format", "md")
    assert code == 0
    assert (solve_dir.parent / "solve.md").is_file()
    assert "solve.md" not in [p.name for p in solve_dir.iterdir()]


# ---- bad input --------------------------------------------------------------------------------
def _refused(capsys, *args):
    code, out, err = _report(capsys, *args)
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


def test_refuses_what_is_not_a_result(tmp_path, capsys):
    assert "no such folder" in _refused(capsys, tmp_path / "nowhere")
    (tmp_path / "file.txt").write_text("x")
    assert "a file, not a result folder" in _refused(capsys, tmp_path / "file.txt")
    (tmp_path / "empty").mkdir()
    assert "neither a result folder (no run.json) nor a study store" in _refused(
        capsys, tmp_path / "empty")
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "run.json").write_text('{"tool": "other"}')
    assert "not a cfe-opt record" in _refused(capsys, tmp_path / "fake")


def test_refuses_a_set_changed_since_it_was_written(tmp_path, capsys):
    folder = solved(tmp_path / "a")
    table = folder / "positions.csv"
    table.write_text(table.read_text().replace("1800.0", "1900.0"))
    err = _refused(capsys, folder)
    assert "positions.csv: changed since cfe-opt wrote it" in err
    folder = solved(tmp_path / "b")
    (folder / "notes.txt").write_text("mine")
    assert "notes.txt not written by the command" in _refused(capsys, folder)
    folder = solved(tmp_path / "c")
    (folder / "equipment.csv").unlink()
    assert "equipment.csv listed in run.json but missing" in _refused(capsys, folder)


def test_refuses_bad_report_files(solve_dir, tmp_path, capsys):
    before = sorted(p.name for p in solve_dir.iterdir())
    assert "inside" in _refused(capsys, solve_dir, "--out", solve_dir / "r.html")
    assert "a folder; give the report's file name" in _refused(capsys, solve_dir, "--out",
                                                               tmp_path)
    err = _refused(capsys, solve_dir, "--format", "md", "--out", tmp_path / "r.html")
    assert "a .html file for --format md; name it r.md" in err
    (tmp_path / "plain").write_text("x")
    assert "is a file, so nothing can be written under it" in _refused(
        capsys, solve_dir, "--out", tmp_path / "plain" / "r.html")
    assert "an empty path" in _refused(capsys, solve_dir, "--out", "")
    assert "--within must be" in _refused(capsys, solve_dir, "--within", "-1")
    assert sorted(p.name for p in solve_dir.iterdir()) == before


def test_excel_is_a_valid_package(solve_dir):
    """Every part the workbook lists is in it, and its XML parses (what a spreadsheet program
    checks before offering a repair)."""
    from xml.etree import ElementTree

    data = render(build_document(solve_dir), "xlsx", "solve")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        types = ElementTree.fromstring(archive.read("[Content_Types].xml"))
        for override in types:
            part = override.get("PartName")
            if part:
                assert part.lstrip("/") in names
        for name in names:
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(archive.read(name))
