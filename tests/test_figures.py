"""Figures of briefing quality, one standard for all (cfe_opt/plots/_common.py): every
plotting function's figure has the question and the scenario's name in its title, fits A4, has
no text below 8 pt, draws only palette colours, labels its axes and names parties rather than
showing their codes; each party keeps one colour in every figure; files are PNG at 200 dpi, and
SVG or PDF on request, the same bytes each time."""

from __future__ import annotations

import struct
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_hex

import cfe_opt.plots  # noqa: F401  (the headless backend first)
from cfe_opt import load_scenario, solve
from cfe_opt.analysis.agreement import agreement_region, agreement_zone
from cfe_opt.analysis.alternatives import near_optimal_alternatives
from cfe_opt.analysis.bargaining import solve_bargaining
from cfe_opt.analysis.frontier import mode_packages, solve_frontier
from cfe_opt.analysis.sensitivity import shadow_prices
from cfe_opt.analysis.sweep import sweep
from cfe_opt.analysis.zopa import feasible_region, preferred_points
from cfe_opt.cli import main
from cfe_opt.io import figure_bytes, write_figure
from cfe_opt.plots._common import (
    A4_WIDTH,
    DPI,
    MIN_FONT,
    PALETTE,
    figure_title,
    party_colours,
    standard_problems,
)
from cfe_opt.plots.allocation import plot_allocation
from cfe_opt.plots.alternatives import plot_alternatives
from cfe_opt.plots.bargaining import plot_bargaining
from cfe_opt.plots.frontier import plot_frontier
from cfe_opt.plots.sensitivity import plot_tornado
from cfe_opt.plots.sweep import plot_sweep
from cfe_opt.plots.zopa import plot_range, plot_region
from cfe_opt.scenario import with_changes
from cfe_opt.text import figure_context

# the figure standard is checked on the frozen pre-issue-7 talks files (hand-derived there)
MODELS = Path(__file__).resolve().parent / "fixtures" / "talks_1998_before_issue_7"
TALKS = MODELS / "talks_1998.yaml"
FIELD = "parties.RUS.positions.flank_acv.target"
NC_USA = {"of": "national_ceiling", "parties": ["USA"], "categories": ["tanks"]}
NC_NATO = {"of": "national_ceiling", "parties": ["NATO_OTHERS"], "categories": ["tanks"]}


@pytest.fixture(scope="module")
def talks():
    return load_scenario(TALKS)


@pytest.fixture(scope="module")
def ranged(talks):
    return with_changes(talks, {"parties.RUS.positions.flank_acv.range": {"min": 1700},
                                "parties.TUR.positions.flank_acv_no_rise.range": {"max": 1800}})


def _figures(talks, ranged):
    """(name, what it answers, the figure) for every analysis plotting function."""
    etd = load_scenario(MODELS / "talks_1998_etd.yaml")
    deadlock = load_scenario(MODELS / "talks_1998_flank_deadlock.yaml")
    frontier = solve_frontier(talks, "RUS", "TUR+NOR")
    modes, mode_positions = mode_packages(talks, "RUS", "TUR+NOR")
    yield "sweep", plot_sweep(sweep(talks, FIELD, [1000, 1400, 2000], objective="minimax"))
    yield "sweep with gaps", plot_sweep(sweep(
        deadlock, "parties.RUS.red_lines.flank_acv_floor.value", [1200, 1400]))
    yield "frontier", plot_frontier(frontier, modes, mode_positions=mode_positions)
    yield "zone", plot_range(agreement_zone(ranged, "RUS.flank_acv"),
                             preferred_points(ranged, "RUS.flank_acv"))
    yield "region", plot_region(feasible_region(talks, NC_USA, NC_NATO),
                                preferred_points(talks, NC_USA, NC_NATO),
                                zone=agreement_region(talks, NC_USA, NC_NATO))
    yield "bargaining", plot_bargaining(solve_bargaining(talks))
    yield "alternatives", plot_alternatives(near_optimal_alternatives(talks, k=2))
    yield "tornado", plot_tornado(shadow_prices(etd))
    yield "allocation", plot_allocation(solve(talks, objective="minimax"))


def test_every_figure_meets_the_standard(talks, ranged):
    ctx = figure_context(talks)
    seen = []
    for name, ax in _figures(talks, ranged):
        figure = ax.figure
        assert standard_problems(figure, ctx) == [], name
        head = " ".join(figure_title(ax).split())
        scenario = head.index("CFE adaptation talks, December 1998")
        assert 0 < head.index("?") < scenario, name  # the question, then the scenario's name
        assert figure.get_figwidth() <= A4_WIDTH, name
        seen.append(name)
        plt.close(figure)
    assert len(seen) == 9


def test_the_checker_finds_what_breaks_the_standard(talks):
    """A figure drawn without the helpers: no question, a party code, a colour from outside
    the palette, tiny text, too wide."""
    figure, ax = plt.subplots(figsize=(10, 4))
    ax.plot([0, 1], [0, 1], color="#ff00ff", label="RUS")
    ax.text(0.5, 0.5, "tiny", fontsize=5)
    ax.set_title("RUS and TUR")
    ax.legend()
    problems = standard_problems(figure, figure_context(talks))
    text = "\n".join(problems)
    for phrase in ("asks no question", "more than A4", "at 5.0 pt", "#ff00ff is not in the "
                   "palette", "party code RUS"):
        assert phrase in text, phrase
    plt.close(figure)


def test_each_party_keeps_one_colour_in_every_figure(talks):
    """Russia, Turkey and Norway in the sweep, the bargaining bars and the alternatives: the
    colour their place in the scenario gives them (PALETTE[2], [5], [6])."""
    expected = party_colours(list(talks.spec.parties))
    assert [expected[p] for p in ("RUS", "TUR", "NOR")] == [PALETTE[2], PALETTE[5], PALETTE[6]]
    found: dict[str, set[str]] = {"RUS": set(), "TUR": set(), "NOR": set()}
    names = {"Russia": "RUS", "Turkey": "TUR", "Norway": "NOR"}
    ax = plot_sweep(sweep(talks, FIELD, [1000, 2000], objective="minimax"))
    for line in ax.get_lines():
        who = line.get_label().split(":")[0]
        if who in names:
            found[names[who]].add(to_hex(line.get_color()))
    plt.close(ax.figure)
    for draw in (lambda: plot_bargaining(solve_bargaining(talks)),
                 lambda: plot_alternatives(near_optimal_alternatives(talks, k=2))):
        ax = draw()
        for container in ax.containers:
            if container.get_label() in names:
                found[names[container.get_label()]].add(to_hex(container.patches[0]
                                                               .get_facecolor()))
        plt.close(ax.figure)
    for party, colours in found.items():
        assert colours == {expected[party].lower()}, party


def test_text_is_readable_at_a4(talks):
    ax = plot_bargaining(solve_bargaining(talks))
    from matplotlib.text import Text

    sizes = [t.get_fontsize() for t in ax.figure.findobj(Text) if t.get_text().strip()]
    assert sizes and min(sizes) >= MIN_FONT
    plt.close(ax.figure)


def test_png_at_200_dpi_and_svg_pdf_on_request(tmp_path, talks):
    ax = plot_sweep(sweep(talks, FIELD, [1000, 2000]))
    figure = ax.figure
    write_figure(figure, tmp_path / "a.png", close=False)
    data = (tmp_path / "a.png").read_bytes()
    at = data.index(b"pHYs")
    per_metre, _, unit = struct.unpack(">IIB", data[at + 4:at + 13])
    assert unit == 1 and round(per_metre * 0.0254) == DPI
    write_figure(figure, tmp_path / "a.svg", close=False)
    assert b"<svg" in (tmp_path / "a.svg").read_bytes()[:400]
    write_figure(figure, tmp_path / "a.pdf", close=False)
    assert (tmp_path / "a.pdf").read_bytes()[:5] == b"%PDF-"
    # no date or software stamp: the same bytes again (SVG and PDF: across runs, below)
    assert figure_bytes(figure, "png") == figure_bytes(figure, "png")
    plt.close(figure)


def test_commands_write_svg_and_pdf_beside_the_png(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["sweep", str(TALKS), "--vary", f"{FIELD}=1000:2000:500", "--out", str(out),
                 "--figure-format", "svg", "--figure-format", "pdf"])
    assert code == 0, capsys.readouterr().err
    for name in ("sweep.png", "sweep.svg", "sweep.pdf"):
        assert (out / name).stat().st_size > 0, name
    record = (out / "run.json").read_text()
    assert '"sweep.svg"' in record and '"sweep.pdf"' in record
    first = {n: (out / n).read_bytes() for n in ("sweep.png", "sweep.svg", "sweep.pdf")}
    again = tmp_path / "again"
    assert main(["sweep", str(TALKS), "--vary", f"{FIELD}=1000:2000:500", "--out", str(again),
                 "--figure-format", "svg", "--figure-format", "pdf"]) == 0
    for name, data in first.items():  # the same figure gives the same file
        assert (again / name).read_bytes() == data, name


def test_solve_writes_the_allocation_figure(tmp_path, capsys, talks):
    """Ceilings and holdings by party and category against the positions: under minimax,
    Russia's flank sub-ceiling 1,380 → 1,633.14 ACVs with Russia's target (▲ 2,000) and
    Turkey's and Norway's (▼ 1,380) on it; the United States' national ceiling for tanks
    4,006 → 1,812 with NATO's exact target ◆ 1,812."""
    out = tmp_path / "out"
    assert main(["solve", str(TALKS), "--objective", "minimax", "--out", str(out)]) == 0
    assert (out / "allocation.png").read_bytes()[:4] == b"\x89PNG"
    ax = plot_allocation(solve(talks, objective="minimax"))
    panels = ax.figure.axes
    assert [p.get_xlabel() for p in panels] == ["tanks", "ACVs", "artillery pieces"]
    acv = panels[1]
    ticks = [t.get_text() for t in acv.get_yticklabels()]
    assert "Russia: flank sub-ceiling" in ticks
    texts = [t.get_text() for t in acv.texts]
    assert "1,380 → 1,633.14" in texts
    row = len(ticks) - 1 - ticks.index("Russia: flank sub-ceiling")
    markers = {(ln.get_marker(), round(float(ln.get_xdata()[0]), 2)) for ln in acv.get_lines()
               if len(ln.get_ydata()) == 1 and ln.get_ydata()[0] == row}
    assert {("^", 2000.0), ("v", 1380.0)} <= markers
    tanks = panels[0]
    assert "4,006 → 1,812" in [t.get_text() for t in tanks.texts]
    assert standard_problems(ax.figure, figure_context(talks)) == []
    plt.close(ax.figure)
