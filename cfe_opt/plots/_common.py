"""The one standard every figure meets (briefing quality), and the helpers that give it.

* **Title**: the question the figure answers, and under it the scenario's name
  (``title(ax, question, context)``).
* **Axes in units**: tanks, ACVs, … (``cfe_opt.text.unit_of``), or the named measure.
* **Party names** rather than codes (``cfe_opt.text.party_name``).
* **One colour per party across every figure** of a scenario: the party's place in the
  scenario's order picks its colour from one colour-blind-safe palette (Okabe–Ito, then Paul
  Tol's muted scheme: ``PALETTE``); things that are not parties (limits of a treaty, a
  frontier, the feasible zone) are drawn in the neutral colours (``NEUTRAL``).
* **Readable at A4**: at most ``A4_WIDTH`` inches wide, no text below ``MIN_FONT`` points.
* **Files**: PNG at ``DPI`` (≥ 200) dots per inch; SVG and PDF on request
  (``cfe_opt.io.write_figure``).

Each plotting function takes a table whose ``attrs`` carry the scenario's name, its parties in
order and their names (``cfe_opt.text.figure_context``, set by the analyses); without them the
codes are shown and colours follow the order the parties appear in.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from cfe_opt.text import party_name

# Okabe & Ito (2008), then Paul Tol's muted scheme (2021): colour-blind safe, distinct on white.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
TOL_MUTED = ("#332288", "#117733", "#44AA99", "#88CCEE", "#DDCC77", "#CC6677", "#AA4499",
             "#882255", "#999933")
PALETTE = OKABE_ITO + TOL_MUTED
NEUTRAL = {"zone": "#7F7F7F", "line": "#404040", "light": "#BBBBBB", "mark": "#000000",
           "gap": "#DDDDDD"}
ALLOWED_COLOURS = frozenset(c.lower() for c in (*PALETTE, *NEUTRAL.values(), "#FFFFFF"))
A4_WIDTH = 7.5  # inches: A4 (8.27 in) less margins
MIN_FONT = 8.0  # points
DPI = 200
LINE_STYLES = ("-", "--", "-.", ":")
FONT = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "xtick.labelsize": 8,
        "ytick.labelsize": 8, "legend.fontsize": 8, "figure.titlesize": 10,
        "svg.hashsalt": "cfe-opt", "svg.fonttype": "none"}


def axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.5)) -> Axes:
    """The given axes, or a new figure's (at most A4 width, the standard fonts)."""
    if ax is not None:
        return ax
    width = min(size[0], A4_WIDTH)
    with plt.rc_context(FONT):
        _, new = plt.subplots(figsize=(width, size[1]), layout="constrained")
    return new


def grid(nrows: int, ncols: int, size: tuple[float, float],
         **kwargs: Any) -> tuple[Any, Any]:
    """A new figure with several axes (the standard fonts, at most A4 width)."""
    with plt.rc_context(FONT):
        return plt.subplots(nrows, ncols, figsize=(min(size[0], A4_WIDTH), size[1]),
                            layout="constrained", squeeze=False, **kwargs)


# ---- the scenario's parties -------------------------------------------------------------------
def context(*frames: Any) -> dict[str, Any]:
    """The figure context (scenario, party_order, party_names) from the first table that has
    one in its attrs."""
    for frame in frames:
        attrs = getattr(frame, "attrs", None) or {}
        if attrs.get("party_order") is not None or attrs.get("scenario"):
            return {"scenario": attrs.get("scenario", ""),
                    "party_order": list(attrs.get("party_order") or []),
                    "party_names": dict(attrs.get("party_names") or {})}
    return {"scenario": "", "party_order": [], "party_names": {}}


def party_colours(order: Iterable[str], parties: Iterable[str] = ()) -> dict[str, str]:
    """One colour per party: its place in the scenario's order (then any party not in it, in
    the order given) picks it from ``PALETTE``."""
    seen = list(dict.fromkeys([*order, *parties]))
    return {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(seen)}


def party_style(order: Iterable[str], party: str) -> str:
    """A line style for a party past the palette's length (colours repeat there)."""
    seen = list(order)
    i = seen.index(party) if party in seen else 0
    return LINE_STYLES[(i // len(PALETTE)) % len(LINE_STYLES)]


def label(code: str, ctx: Mapping[str, Any]) -> str:
    """A party's name for a figure (its code where the scenario gives no name)."""
    return party_name(code, ctx.get("party_names"))


# ---- text -------------------------------------------------------------------------------------
def title(ax: Axes, question: str, ctx: Mapping[str, Any], detail: str = "") -> None:
    """The figure's title: the question it answers, with the scenario's name (and a detail)
    under it, across the whole figure from its left edge, broken between words to fit."""
    lines = [question]
    scenario = str(ctx.get("scenario") or "")
    below = " · ".join(t for t in (scenario, detail) if t)
    if below:
        lines.append(below)
    figure = ax.figure
    width = max(40, int(figure.get_figwidth() * 72 / (10 * 0.55)))
    wrapped = [textwrap.fill(line, width=width, break_long_words=False) for line in lines]
    figure.suptitle("\n".join(wrapped), x=0.01, ha="left", fontsize=10)


def figure_title(ax: Axes) -> str:
    """The title ``title`` gave the figure (for tests and checks)."""
    found = getattr(ax.figure, "_suptitle", None)
    return found.get_text() if found is not None else ax.get_title()


def wrap(text: str, width: int = 34) -> str:
    """A label broken between words (never inside one) into lines of at most ``width``."""
    return textwrap.fill(str(text), width=width, break_long_words=False,
                         break_on_hyphens=False)


def legend(ax: Axes, outside: bool = False, **kwargs: Any) -> None:
    """The legend in the standard size; ``outside`` puts it to the right of the axes."""
    handles, _labels = ax.get_legend_handles_labels()
    if not handles:
        return
    if outside:
        ax.legend(fontsize=MIN_FONT, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False, **kwargs)
    else:
        ax.legend(fontsize=MIN_FONT, **kwargs)


def no_data(ax: Axes, message: str) -> Axes:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes,
            fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def pad_limits(ax: Axes, values: Iterable[float], axis: str = "y",
               floor: float | None = None) -> None:
    """Sensible limits when little or nothing moves: a flat series gets a band around its
    value (±10 % of it, at least ±1) instead of the library's hair-thin default."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return
    low, high = min(finite), max(finite)
    span = high - low
    if span > 1e-9 * max(1.0, abs(high)):
        pad = 0.08 * span
        lo, hi = low - pad, high + pad
    else:
        pad = max(0.1 * abs(high), 1.0)
        lo, hi = low - pad, high + pad
    if floor is not None:
        lo = max(lo, floor) if low >= floor else lo
    (ax.set_ylim if axis == "y" else ax.set_xlim)(lo, hi)


def thousands(ax: Axes, axis: str = "y", ticks: int | None = None) -> None:
    """Tick labels in the one number format (thousands separated); at most ``ticks`` of
    them if given."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    from cfe_opt.text import fmt

    target = ax.yaxis if axis == "y" else ax.xaxis
    if ticks is not None:
        target.set_major_locator(MaxNLocator(ticks))
    target.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(float(v))))


def package_ticks(points: list, view: Any, heads: list[str]) -> list[str]:
    """A tick label per point: its name, then the package — each quantity that differs
    between the points on two lines (``Russia: flank_acv`` / ``1,380 ACVs``)."""
    from cfe_opt.text import fmt

    out = []
    for point, head in zip(points, heads, strict=True):
        lines = [head]
        if view is not None and not view.empty and point in view.index:
            for column in view.columns:
                name, _, unit = str(column).rpartition(" (")
                lines.append(wrap(name, 22))
                lines.append(f"{fmt(float(view.loc[point, column]))} {unit.rstrip(')')}")
        out.append("\n".join(lines))
    return out


def named(text: str, ctx: Mapping[str, Any]) -> str:
    """Scenario text for a figure with each party code as the party's name: ``RUS.flank_acv``
    → ``Russia's flank_acv``, ``POL tanks: …`` → ``Poland tanks: …``."""
    import re

    names = ctx.get("party_names") or {}
    codes = [c for c in names if party_name(c, names) != c]
    if not codes:
        return str(text)
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, sorted(codes, key=len,
                                                                          reverse=True)))
                         + r")(?:(\.)(?=[A-Za-z_])|(?![\w.]))")

    def swap(match: re.Match[str]) -> str:
        name = party_name(match.group(1), names)
        return f"{name}'s " if match.group(2) else name

    return pattern.sub(swap, str(text))


# ---- the standard, checked ---------------------------------------------------------------------
CB_COLORMAPS = frozenset({"viridis", "cividis", "magma", "inferno", "plasma", "Greys"})


def standard_problems(figure: Any, ctx: Mapping[str, Any] | None = None) -> list[str]:
    """Where a figure falls short of the standard (an empty list: it meets it): a title
    with a question (and the scenario's name, given ``ctx``), at most A4 width, no text below
    ``MIN_FONT``, every data colour from ``PALETTE``/``NEUTRAL`` (or a colour-blind-safe
    colour map), every axes with data labelled, and no party code where the scenario gives
    the party a name."""
    import re

    from matplotlib.colors import to_hex
    from matplotlib.text import Text

    problems: list[str] = []
    head = getattr(figure, "_suptitle", None)
    text = head.get_text() if head is not None else ""
    lines = text.split("\n")
    if not text or "?" not in text:
        problems.append(f"the title asks no question: {text!r}")
    scenario = str((ctx or {}).get("scenario") or "")
    if scenario and scenario.split()[0] not in text:
        problems.append(f"the title does not name the scenario {scenario!r}: {lines!r}")
    if figure.get_figwidth() > A4_WIDTH + 1e-6:
        problems.append(f"{figure.get_figwidth():.2f} in wide: more than A4 ({A4_WIDTH} in)")
    for item in figure.findobj(Text):
        if item.get_visible() and item.get_text().strip() and item.get_fontsize() < MIN_FONT:
            problems.append(f"text {item.get_text()[:30]!r} at {item.get_fontsize():.1f} pt")

    def check(colour: Any, where: str) -> None:
        if colour is None or (isinstance(colour, str) and colour.lower() == "none"):
            return
        try:
            rgba = __import__("matplotlib.colors", fromlist=["to_rgba"]).to_rgba(colour)
        except (ValueError, TypeError):
            return
        if rgba[3] == 0:
            return
        hexed = to_hex(rgba, keep_alpha=False).lower()
        if hexed not in ALLOWED_COLOURS:
            problems.append(f"{where}: colour {hexed} is not in the palette")

    for ax in figure.axes:
        if getattr(ax, "_colorbar", None) is not None or ax.get_label() == "<colorbar>":
            continue
        for line in ax.lines:
            if line.get_label().startswith("_") and not len(line.get_xdata()):
                continue
            if line.get_linestyle() not in ("None", "none", " ", ""):
                check(line.get_color(), f"line {line.get_label()!r}")
            if line.get_marker() not in ("None", "none", None, ""):
                check(line.get_markerfacecolor(), f"marker of {line.get_label()!r}")
                check(line.get_markeredgecolor(), f"marker edge of {line.get_label()!r}")
        for patch in ax.patches:
            check(patch.get_facecolor(), f"patch {patch.get_label()!r}")
        for collection in ax.collections:
            cmap = collection.get_cmap() if collection.get_array() is not None else None
            if cmap is not None:
                if cmap.name not in CB_COLORMAPS:
                    problems.append(f"colour map {cmap.name} is not colour-blind safe")
                continue
            for colour in collection.get_facecolors()[:50]:
                check(tuple(colour), f"collection {collection.get_label()!r}")
        shared = [a for a in ax.get_shared_x_axes().get_siblings(ax) if a is not ax]
        if ax.has_data() and not ax.get_xlabel() and not any(
                t.get_text() for t in ax.get_xticklabels()) and not any(
                a.get_xlabel() for a in shared):
            problems.append("an axes with data has no x label")
        if ax.has_data() and not ax.get_ylabel() and not any(
                t.get_text() for t in ax.get_yticklabels()):
            problems.append("an axes with data has no y label")
    names = (ctx or {}).get("party_names") or {}
    codes = [c for c in names if party_name(c, names) != c]
    if codes:
        pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, codes)) + r")(?![\w])")
        for item in figure.findobj(Text):
            found = pattern.search(item.get_text())
            if item.get_visible() and found:
                problems.append(f"party code {found.group(1)} in {item.get_text()[:60]!r}")
    return problems
