"""The analyst's own folder (issue 8): the bundled scenarios ship with the package and can be
listed and copied out; a scenario in a folder of one's own may extend files in its tree
(``--models-root`` says where the tree starts); escapes stay refused."""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cfe_opt.bundled_scenarios import bundled_files, bundled_root, list_bundled
from cfe_opt.cli import build_parser, main
from cfe_opt.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
ERROR = "cfe-opt: error: "


def run(args: list[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, list[str]]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.splitlines()


def tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


SHIPPED = {str(p.relative_to(MODELS)) for p in MODELS.rglob("*") if p.is_file()
           and "__pycache__" not in p.parts}


# ---- the bundled scenarios --------------------------------------------------------------------
def test_a_source_checkout_reads_models_itself():
    assert bundled_root() == MODELS
    assert {str(p) for p in bundled_files()} == SHIPPED
    found = {s.file: s for s in list_bundled()}
    assert sorted(found) == sorted(p.name for p in MODELS.glob("*.yaml"))
    for name, entry in found.items():
        assert entry.name == load_scenario(MODELS / name).name
    assert found["talks_1998_mandated_cuts.yaml"].extends == "talks_1998.yaml"


def test_scenarios_list_shows_each_with_its_name(capsys):
    code, out, err = run(["scenarios", "list"], capsys)
    assert code == 0 and err == []
    for entry in list_bundled():
        assert f"  {entry.file}" in out and entry.name in out
    assert "cfe-opt scenarios copy DIR" in out


def test_scenarios_copy_copies_every_file_byte_for_byte(tmp_path, capsys):
    target = tmp_path / "mine"
    code, out, err = run(["scenarios", "copy", target], capsys)
    assert code == 0 and err == []
    assert f"to {target}/" in out
    assert tree(target) == tree(MODELS) and set(tree(target)) == SHIPPED
    for path in MODELS.glob("*.yaml"):  # the copies mean what the originals mean
        assert load_scenario(target / path.name).sha256 == load_scenario(path).sha256


def test_scenarios_copy_never_overwrites(tmp_path, capsys):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "talks_1998.yaml").write_text("name: my own edit\n")
    (target / "other.txt").write_text("keep me\n")
    before = tree(target)
    code, _, err = run(["scenarios", "copy", target], capsys)
    assert code == 2
    assert len(err) == 1 and err[0].startswith(ERROR + str(target / "talks_1998.yaml"))
    assert "already exists" in err[0] and "nothing was copied" in err[0]
    assert tree(target) == before  # all or nothing: no other file copied either


def test_scenarios_copy_beside_the_users_own_files(tmp_path, capsys):
    target = tmp_path / "mine"
    (target / "data").mkdir(parents=True)
    (target / "data" / "my-notes.csv").write_text("a,b\n")
    assert run(["scenarios", "copy", target], capsys)[0] == 0
    assert (target / "data" / "my-notes.csv").read_text() == "a,b\n"
    assert set(tree(target)) == SHIPPED | {"data/my-notes.csv"}


@pytest.mark.parametrize(("where", "phrase"), [
    ("afile", "afile is a file, not a folder"),
    ("afile/sub", "afile is a file, not a folder"),
    ("/proc/x", "a system folder"),
])
def test_scenarios_copy_into_a_bad_place_is_refused(tmp_path, capsys, monkeypatch, where,
                                                    phrase):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x\n")
    code, _, err = run(["scenarios", "copy", where], capsys)
    assert code == 2 and len(err) == 1 and phrase in err[0]
    assert sorted(os.listdir(tmp_path)) == ["afile"]


def test_an_installed_wheel_ships_the_scenarios(tmp_path):
    """`pip install .` must give the scenarios: build the wheel, install it alone into a
    folder, and use it from outside the source tree."""
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    source = tmp_path / "source"  # a clean copy: the build leaves build/ and egg-info behind
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv*", ".git", "build", "dist", "*.egg-info", "out", ".*cache", "__pycache__",
        ".hypothesis"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                            str(wheels), str(source)],
                           capture_output=True, text=True, check=False, timeout=900)
    if build.returncode != 0 and any(s in build.stderr for s in (
            "No module named pip", "No matching distribution", "Could not find a version")):
        pytest.skip(f"cannot build a wheel here (no build backend reachable): {build.stderr}")
    assert build.returncode == 0, build.stderr
    wheel = next(wheels.glob("cfe_opt-*.whl"))
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                              "--target", str(target), str(wheel)], capture_output=True,
                             text=True, check=False, timeout=600)
    assert install.returncode == 0, install.stderr
    shipped = target / "cfe_opt" / "bundled"
    assert {str(p.relative_to(shipped)) for p in shipped.rglob("*") if p.is_file()} == SHIPPED
    env = {**os.environ, "PYTHONPATH": str(target)}
    work = tmp_path / "elsewhere"
    work.mkdir()
    probe = subprocess.run(
        [sys.executable, "-c", "import cfe_opt, importlib.resources as r; "
         "from cfe_opt.bundled_scenarios import bundled_root; "
         "print(cfe_opt.__file__); print(bundled_root()); "
         "print((r.files('cfe_opt.bundled') / 'talks_1998.yaml').is_file())"],
        capture_output=True, text=True, check=False, cwd=work, env=env, timeout=300)
    assert probe.returncode == 0, probe.stderr
    module, root, found = probe.stdout.split("\n")[:3]
    assert Path(module).is_relative_to(target) and Path(root) == shipped and found == "True"
    for argv in (["scenarios", "copy", "copied"],
                 ["validate", "copied/talks_1998_mandated_cuts.yaml"]):
        proc = subprocess.run([sys.executable, "-m", "cfe_opt", *argv], capture_output=True,
                              text=True, check=False, cwd=work, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
    assert tree(work / "copied") == tree(MODELS)


# ---- a folder of one's own: the models tree ---------------------------------------------------
BASE = """\
name: My base
categories: [tanks]
parties:
  AAA: {name: A, holdings: {tanks: 100}, national_ceiling: {tanks: 100}}
"""


@pytest.fixture
def own(tmp_path):
    """~/briefing: a base scenario, variants in a subfolder, and a file outside the tree."""
    folder = tmp_path / "briefing"
    (folder / "variants").mkdir(parents=True)
    (folder / "base.yaml").write_text(BASE)
    (folder / "variants" / "v.yaml").write_text(
        "name: Variant\nextends: ../base.yaml\nparties: {AAA: {national_ceiling: {tanks: 90}}}\n")
    (tmp_path / "outside.yaml").write_text(BASE)
    (folder / "variants" / "escape.yaml").write_text("name: E\nextends: ../../outside.yaml\n")
    (folder / "variants" / "sub").mkdir()
    (folder / "variants" / "sub" / "local.yaml").write_text(BASE)
    (folder / "variants" / "sibling.yaml").write_text("name: S\nextends: sub/local.yaml\n")
    return folder


def test_a_variant_extends_within_its_own_folder_by_default(own, capsys):
    """The default tree: the scenario's own folder and its subfolders (no `models` above)."""
    code, out, _ = run(["validate", own / "variants" / "sibling.yaml"], capsys)
    assert code == 0 and "valid" in out


def test_climbing_out_of_the_default_tree_is_refused(own, capsys):
    code, _, err = run(["validate", own / "variants" / "v.yaml"], capsys)
    assert code == 2 and len(err) == 1
    assert "extends: '../base.yaml' resolves outside the models tree" in err[0]


def test_models_root_widens_the_tree(own, capsys):
    code, _, err = run(["validate", own / "variants" / "v.yaml", "--models-root", own], capsys)
    assert code == 0, err
    scenario = load_scenario(own / "variants" / "v.yaml", models_root=own)
    assert scenario.spec.parties["AAA"].national_ceiling["tanks"].value == 90
    assert scenario.files[-1].endswith("base.yaml")


def test_escapes_out_of_models_root_stay_refused(own, capsys):
    code, _, err = run(["validate", own / "variants" / "escape.yaml", "--models-root", own],
                       capsys)
    assert code == 2 and len(err) == 1
    assert "'../../outside.yaml' resolves outside the models tree" in err[0]
    os.symlink(own.parent / "outside.yaml", own / "link.yaml")
    (own / "via-link.yaml").write_text("name: L\nextends: link.yaml\n")
    code, _, err = run(["validate", own / "via-link.yaml", "--models-root", own], capsys)
    assert code == 2 and "'link.yaml' resolves outside the models tree" in err[0]


def test_a_scenario_outside_its_models_root_is_refused(own, capsys):
    code, _, err = run(["validate", own.parent / "outside.yaml", "--models-root", own], capsys)
    assert code == 2 and len(err) == 1
    assert "the scenario lies outside the models tree" in err[0]
    code, _, err = run(["validate", own / "base.yaml", "--models-root", own / "base.yaml"],
                       capsys)
    assert code == 2 and "--models-root" in err[0] and "not a folder" in err[0]


def test_solve_takes_models_root_and_records_the_files_read(own, tmp_path, capsys):
    out = tmp_path / "o"
    code, _, err = run(["solve", own / "variants" / "v.yaml", "--models-root", own, "--out", out,
                        "--quiet"], capsys)
    assert code == 0, err
    import json
    record = json.loads((out / "run.json").read_text())
    assert [Path(f).name for f in record["scenario"]["files"]] == ["v.yaml", "base.yaml"]


def _readers() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [name for name, p in sub.choices.items()
            if any(a.dest == "scenario" for a in p._actions)]


@pytest.mark.parametrize("command", _readers())
def test_every_command_that_reads_a_scenario_takes_models_root(command):
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    options = {o for a in sub.choices[command]._actions for o in a.option_strings}
    assert "--models-root" in options


def test_the_docs_say_how(capsys):
    readme = (ROOT / "README.md").read_text()
    fmt = (ROOT / "docs" / "scenario-format.md").read_text()
    for text in (readme, fmt):
        assert "--models-root" in text and "cfe-opt scenarios copy DIR" in text
    assert "cfe-opt scenarios list" in readme


def test_shutil_is_not_needed_to_clean_up(tmp_path):
    """copy_bundled leaves no temporary file beside what it copied."""
    from cfe_opt.bundled_scenarios import copy_bundled

    written = copy_bundled(tmp_path / "c")
    assert {str(p.relative_to(tmp_path / "c")) for p in written} == SHIPPED
    assert not [p for p in (tmp_path / "c").rglob(".*")]
    shutil.rmtree(tmp_path / "c")
