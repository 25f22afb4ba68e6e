"""Malformed study files: each gets one line `file:line: field.path: reason` and exit code 2."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cfe_opt.cli import main

REPO = Path(__file__).resolve().parents[1]

GOOD = """\
name: flank study
base: ../models/talks_1998.yaml
objectives: [weighted]
axes:
  rus_target:
    field: parties.RUS.positions.flank_acv.target
    values: [1380, 2000]
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "models").mkdir()
    shutil.copy(REPO / "tests" / "fixtures" / "talks_1998_before_issue_7" / "talks_1998.yaml",
                tmp_path / "models" / "talks_1998.yaml")
    (tmp_path / "studies").mkdir()
    return tmp_path


def write(tree: Path, text: str) -> Path:
    path = tree / "studies" / "study.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


SAMPLE = """\
name: sampled
base: ../models/talks_1998.yaml
sample:
  size: 10
  seed: 3
  axes:
{axes}
"""


def sampled(axes: str) -> str:
    return SAMPLE.format(axes=textwrap.indent(textwrap.dedent(axes), "    "))


# (id, study text, expected line, field path, reason) — the whole message is compared
CASES = [
    ("unknown-top-level-key", GOOD + "axis: {}\n", 8, "axis",
     "unknown field 'axis' (did you mean 'axes'?)"),
    ("missing-base", "name: x\naxes: {}\n", 1, "base", "required field is missing"),
    ("base-does-not-exist", GOOD.replace("../models/talks_1998.yaml", "nope.yaml"), 2, "base",
     "'nope.yaml' does not exist (relative to the study file)"),
    ("wrong-party-in-path", GOOD.replace("parties.RUS.positions", "parties.RUSS.positions"), 6,
     "axes.rus_target.field",
     "parties.RUSS.positions.flank_acv.target: no 'RUSS' in parties (did you mean 'RUS'?)"),
    ("wrong-field-in-path", GOOD.replace("flank_acv.target", "flank_acv.targt"), 6,
     "axes.rus_target.field", "parties.RUS.positions.flank_acv.targt: "
     "'parties.RUS.positions.flank_acv' has no field 'targt' (did you mean 'target'?)"),
    ("wrong-category-in-path", GOOD.replace("parties.RUS.positions.flank_acv.target",
                                            "parties.USA.holdings.tank"), 6,
     "axes.rus_target.field", "parties.USA.holdings.tank: 'tank' is not one of tanks, acv, "
     "artillery, combat_aircraft, attack_helicopters (in parties.USA.holdings) (did you mean "
     "'tanks'?)"),
    ("axis-with-values-and-range", GOOD + "    range: '1:2:1'\n", 5, "axes.rus_target",
     "an axis gives exactly one of: values, range, zip, cases"),
    ("range-not-numbers", GOOD.replace("values: [1380, 2000]", "range: '1380:x:100'"), 7,
     "axes.rus_target.range", "FROM, TO and STEP must be numbers (e.g. '1380:2400:100') "
     "(got '1380:x:100')"),
    ("range-backwards", GOOD.replace("values: [1380, 2000]", "range: '2000:1380:100'"), 5,
     "axes.rus_target", "TO (1380) is below FROM (2000)"),
    ("range-unquoted-sexagesimal", GOOD.replace("values: [1380, 2000]", "range: 1:10:1"), 7,
     "axes.rus_target.range", "write numbers in plain decimal (YAML would read '1:10:1' as "
     "4201); quote it (\"1:10:1\") if it is text"),
    ("zip-lengths-differ", GOOD.replace(
        "    field: parties.RUS.positions.flank_acv.target\n    values: [1380, 2000]\n",
        "    zip:\n      tur: {field: parties.TUR.positions.flank_acv_no_rise.target, "
        "values: [1380, 1500]}\n      nor: {field: parties.NOR.positions.flank_acv_no_rise."
        "target, values: [1380]}\n"), 5, "axes.rus_target",
     "zipped fields must have as many values each (tur 2, nor 1)"),
    ("duplicate-axis-value", GOOD.replace("[1380, 2000]", "[1380, 2000, 1380.0]"), 7,
     "axes.rus_target.values[2]", "lists 1380.0 twice (positions 0 and 2)"),
    ("mixed-axis-values", GOOD.replace("[1380, 2000]", "[1380, high]"), 7,
     "axes.rus_target.values", "mixes number and text values (one axis holds one kind)"),
    ("unknown-objective", GOOD.replace("[weighted]", "[weighted, fair]"), 3, "objectives[1]",
     "input should be 'weighted', 'minimax' or 'lexicographic' (got 'fair')"),
    ("objective-twice", GOOD.replace("[weighted]", "[weighted, weighted]"), 3, "objectives",
     "lists an objective mode twice"),
    ("field-on-two-axes", GOOD + "  again:\n    field: parties.RUS.positions.flank_acv.target"
     "\n    values: [2400]\n", 9, "axes.again.field",
     "parties.RUS.positions.flank_acv.target is already varied by axis 'rus_target' (a field "
     "moves on one axis; zip fields that move together)"),
    ("reserved-axis-name", GOOD.replace("rus_target:", "status:"), 5, "axes.status",
     "'status' is a column of every row; choose another axis name"),
    ("unknown-distribution", sampled("w: {field: parties.TUR.weight, distribution: gauss}"), 7,
     "sample.axes.w", "'distribution' must be one of: uniform, log_uniform, normal, choice"),
    ("log-uniform-not-positive", sampled(
        "w: {field: parties.TUR.weight, distribution: log_uniform, low: 0, high: 2}"), 7,
     "sample.axes.w.low", "must be greater than 0 (got 0)"),
    ("uniform-bounds-reversed", sampled(
        "w: {field: parties.TUR.weight, distribution: uniform, low: 5, high: 1}"), 7,
     "sample.axes.w", "low (5) must be below high (1)"),
    ("count-sampled-without-integer", sampled(
        "h: {field: parties.USA.holdings.tanks, distribution: uniform, low: 100, high: 900}"), 7,
     "sample.axes.h.distribution",
     "parties.USA.holdings.tanks takes whole numbers: add 'integer: true' to draw them"),
    ("text-field-sampled-as-number", sampled(
        "t: {field: settings.tie_break, distribution: uniform, low: 0, high: 1}"), 7,
     "sample.axes.t.distribution",
     "settings.tie_break is not a number field; use distribution: choice"),
    ("sample-size-zero", sampled(
        "w: {field: parties.TUR.weight, distribution: uniform, low: 1, high: 2}").replace(
        "size: 10", "size: 0"), 4, "sample.size",
     "input should be greater than or equal to 1 (got 0)"),
    ("seed-as-text", sampled(
        "w: {field: parties.TUR.weight, distribution: uniform, low: 1, high: 2}").replace(
        "seed: 3", "seed: '3'"), 5, "sample.seed", "input should be a valid integer (got '3')"),
    ("choice-weights-mismatch", sampled(
        "t: {field: settings.tie_break, distribution: choice, values: [none, status_quo], "
        "weights: [1]}"), 7, "sample.axes.t", "weights: 1 weights for 2 values"),
    ("same-case-twice", GOOD.replace(
        "    field: parties.RUS.positions.flank_acv.target\n    values: [1380, 2000]\n",
        "    cases:\n      today: {}\n      also_today: {parties.TUR.weight: 1}\n"), 8,
     "axes.rus_target.cases.also_today", "case 'also_today' is the same variant as case "
     "'today'"),
    ("shadow-price-of-nothing", GOOD + "keep:\n  shadow_prices: [limit.sufficiency_us.*]\n", 9,
     "keep.shadow_prices[0]", "'limit.sufficiency_us.*' names no hard limit of the base model "
     "(did you mean 'limit.sufficiency_usa.acv'?)"),
    ("duplicate-yaml-key", GOOD + "name: again\n", 8, "name",
     "duplicate key (YAML would silently keep only the last one)"),
    ("yaml-alias", GOOD.replace("values: [1380, 2000]", "values: &v [1380, 2000]") +
     "  other:\n    field: parties.TUR.weight\n    values: *v\n", 10, "axes.other.values",
     "YAML aliases (*name) are not allowed in scenario files; use 'extends' to reuse a "
     "scenario"),
]


@pytest.mark.parametrize(("text", "line", "field", "reason"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_study_file(tree, capsys, text, line, field, reason):
    path = write(tree, text)
    code = main(["study", "validate", str(path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [f"cfe-opt: error: {path}:{line}: {field}: {reason}"]


def test_at_least_fifteen_malformed_cases():
    assert len(CASES) >= 15


def test_every_error_at_once_one_line_each(tree, capsys):
    text = GOOD.replace("[1380, 2000]", "[1380, 1380]") + (
        "  w:\n    field: parties.TUR.wieght\n    values: [1, 2]\n")
    path = write(tree, text)
    assert main(["study", "validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"cfe-opt: error: {path}:7: axes.rus_target.values[1]: lists 1380 twice (positions 0 "
        "and 1)",
        f"cfe-opt: error: {path}:9: axes.w.field: parties.TUR.wieght: 'parties.TUR' has no "
        "field 'wieght' (did you mean 'weight'?)",
    ]


def test_run_refuses_a_malformed_file_as_a_real_process(tree):
    path = write(tree, GOOD.replace("parties.RUS.positions", "parties.RUSS.positions"))
    out = subprocess.run([sys.executable, "-m", "cfe_opt", "study", "run", str(path), "--out",
                          str(tree / "out")], capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"cfe-opt: error: {path}:6: axes.rus_target.field: parties.RUSS.positions.flank_acv."
        "target: no 'RUSS' in parties (did you mean 'RUS'?)")
    assert "Traceback" not in out.stderr
    assert not (tree / "out").exists()


def test_a_valid_file_validates(tree, capsys):
    path = write(tree, GOOD)
    assert main(["study", "validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "2 design points" in out
