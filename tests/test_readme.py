"""The README's commands run as written: every ``cfe-opt`` line of its shell blocks (command
synopses with placeholders aside), in order, in a copy of the models and studies folders, with
the exit code the README implies (0; 1 for ``diagnose`` of the deadlock, which has no package);
its Python blocks run too. The objective names it uses are the CLI's."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from cfe_opt.cli import main
from cfe_opt.modes import OBJECTIVE_MODES

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PLACEHOLDERS = {"SCENARIO", "DIR", "SECONDS", "FIELD=FROM:TO:STEP", "RESULT_DIR"}
SKIPPED = ("python3 -m venv", ".venv/bin/pip", ".venv/bin/python -m pytest")  # .ci/run does


def blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def commands() -> list[list[str]]:
    """Every cfe-opt command line of the shell blocks, ``&&`` chains split."""
    out = []
    for block in blocks("sh"):
        for line in block.splitlines():
            if not line.strip() or line.startswith(" "):
                continue  # a continuation of a synopsis
            line = re.split(r"\s{2,}#", line)[0].strip()  # the comment after a command
            if "[" in line or " | " in line or set(line.split()) & PLACEHOLDERS:
                continue  # a synopsis, not a command
            for part in line.split("&&"):
                part = part.strip()
                if part.startswith(SKIPPED):
                    continue
                words = shlex.split(part)
                if words and words[0] in ("cfe-opt", ".venv/bin/cfe-opt"):
                    out.append(words[1:])
    return out


def test_the_readme_has_commands_to_run():
    found = commands()
    assert ["solve", "models/talks_1998.yaml"] in found
    assert any(c[0] == "sweep" and "parties.TUR.weight=0.5:4:0.5" in c for c in found)
    assert any(c[:2] == ["study", "query"] for c in found)
    assert len(found) >= 12


def test_every_readme_command_runs(tmp_path, monkeypatch, capsys):
    for name in ("models", "studies"):
        shutil.copytree(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    for argv in commands():
        code = main(argv)
        captured = capsys.readouterr()
        expected = 1 if argv[0] == "diagnose" and "deadlock" in argv[1] else 0
        assert code == expected, f"cfe-opt {' '.join(argv)}: exit {code}\n{captured.err}"
        assert "Traceback" not in captured.err


def test_every_readme_python_block_runs(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "models", tmp_path / "models")
    monkeypatch.chdir(tmp_path)
    code = blocks("python")
    assert code
    for block in code:
        exec(compile(block, str(README), "exec"), {})  # the README's own code


def test_every_objective_name_the_readme_uses_is_accepted(tmp_path):
    text = README.read_text(encoding="utf-8")
    named = set(re.findall(r"--objective[ =]([a-z|]+)", text))
    names = {n for group in named for n in group.split("|")}
    names |= set(re.findall(r'objective="([a-z]+)"', text))
    assert names and names <= set(OBJECTIVE_MODES), names - set(OBJECTIVE_MODES)
    assert "minimax/fair" not in text
    for name in names:
        assert main(["solve", str(ROOT / "models" / "talks_1998.yaml"), "--objective", name,
                     "--quiet", "--out", str(tmp_path / name)]) == 0


@pytest.mark.parametrize("phrase", [". .venv/bin/activate", ".venv/bin/cfe-opt"])
def test_the_readme_says_how_to_reach_the_command(phrase):
    assert phrase in README.read_text(encoding="utf-8")
