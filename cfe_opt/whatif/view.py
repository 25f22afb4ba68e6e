"""The package figure of a what-if session, redrawn in place for each change.

``PackageView(session).change(settings, objective)`` re-solves through the session (the
compiled, warm model) and redraws the package figure on the same figure and artists
(``cfe_opt.plots.package.PackageChart.update``), returning the outcome and the figure as PNG
bytes: what the panel shows, and what the benchmark times.

The redraw blits: the axes, ticks and position names are drawn once and kept as a background;
a change restores the band of each row that changed and draws its bar, the zero line and
spine over it and its label, in the order a full draw layers them (and the title, when it
carries the status line); the axis is widened, and the whole figure drawn again, only when a
deviation outgrows it. The result matches a full draw of the same figure (to antialiasing at
a band's edge). The PNG is encoded band by band, each band compressed again only when its
pixels changed (``cfe_opt.whatif.png``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cfe_opt.plots.package import PackageChart, package_size
from cfe_opt.text import figure_context
from cfe_opt.whatif.png import BandedPng
from cfe_opt.whatif.session import Outcome, WhatIf

DPI = 80  # the live figure: enough for a screen, quick to draw and encode


class PackageView:
    """The session's package figure, kept and redrawn in place (see the module docstring).

    ``status``: the status line (``status_line``: objective, how it was solved, with
    ``show_time`` how long it took) as the title's second line. Off by default: the panel shows
    it in its own status widget, and a title that changes with every change costs a text draw
    of some 80 glyphs per change (more than the rest of the redraw)."""

    def __init__(self, session: WhatIf, dpi: int = DPI, show_time: bool = True,
                 status: bool = False) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.session = session
        self.show_time, self.status = show_time, status
        from matplotlib.figure import Figure

        first = session.last or session.outcome()
        # a figure of its own, not pyplot's: a notebook's inline backend shows and closes
        # pyplot's figures at the end of each cell, and this one lives on in the panel
        figure = Figure(figsize=package_size(len(session.positions())), layout="constrained")
        FigureCanvasAgg(figure)
        self.chart = PackageChart(self._skeleton(), ax=figure.add_subplot(),
                                  title=self._title(), keep_limits=True,
                                  ctx=figure_context(session.scenario))
        # with the status line, two title lines from the start: the settled layout has room
        self.chart.update(self._skeleton(), subtitle=self._subtitle(first))
        figure = self.chart.figure
        figure.set_dpi(dpi)
        self.canvas = FigureCanvasAgg(figure)
        self.canvas.draw()  # settles the layout
        figure.set_layout_engine("none")  # …which later draws keep
        for artist in [*self.chart.moving, *self._over_bars()]:  # drawn after the background
            artist.set_animated(True)
        self._background: Any = None
        self._encoder = BandedPng()
        self.png = b""
        self.draw(first)

    def _skeleton(self) -> Any:
        """Every position with no package yet (the bars the figure keeps)."""
        import pandas as pd

        keys = self.session.positions()
        frame = pd.DataFrame({"normalised_deviation": 0.0, "deviation": 0.0,
                              "target": float("nan"), "achieved": float("nan")},
                             index=pd.MultiIndex.from_tuples(keys, names=["party", "position"]))
        return frame

    def _title(self) -> str:
        return f"Who concedes what — {' '.join(self.session.scenario.name.split())}"

    def change(self, settings: dict[str, Any] | None = None,
               objective: str | None = None) -> tuple[Outcome, bytes]:
        """Re-solve and redraw: the outcome and the new figure (PNG)."""
        outcome = self.session.outcome(settings, objective)  # type: ignore[arg-type]
        return outcome, self.draw(outcome)

    def _subtitle(self, outcome: Outcome) -> str:
        return status_line(outcome, self.show_time) if self.status else ""

    def draw(self, outcome: Outcome) -> bytes:
        """Redraw the figure for an outcome (in place: only what changed); its PNG."""
        result = outcome.result
        line = self._subtitle(outcome)
        if result.positions is not None:
            moved = self.chart.update(result.positions, subtitle=line)
        else:  # no package: every bar empty, each label says so
            moved = self.chart.update(self._skeleton(), subtitle=line)
        figure = self.chart.figure
        if moved or self._background is None:
            self.canvas.draw()  # everything but the moving artists
            self._background = self.canvas.copy_from_bbox(figure.bbox)
            for artist in self.chart.moving:
                figure.draw_artist(artist)
            for artist in self._over_bars():  # over the bars, as a full draw layers them
                figure.draw_artist(artist)
            self._drawn = self._state()
        else:  # only the rows (and the title) that changed: their band restored, redrawn
            now = self._state()
            for i, (before, after) in enumerate(zip(self._drawn, now, strict=True)):
                if before != after:
                    self._redraw(i)
            self._drawn = now
        self.png = self._encoder.encode(np.asarray(self.canvas.buffer_rgba()))
        return self.png

    def _state(self) -> list[tuple[Any, ...]]:
        rows = [(bar.get_width(), text.get_text(), text.get_position())
                for bar, text in zip(self.chart.bars, self.chart.labels, strict=True)]
        return [*rows, (self.chart.title.get_text(),)]

    def _redraw(self, i: int) -> None:
        """Restore row ``i``'s band (or the title's, for the last) and draw what is on it."""
        ax, figure = self.chart.ax, self.chart.figure
        width, height = self.canvas.get_width_height()
        box = ax.get_window_extent()
        if i < len(self.chart.bars):
            bar = self.chart.bars[i]
            centre = bar.get_y() + bar.get_height() / 2
            bottom = ax.transData.transform((0, centre - 0.5))[1]
            top = ax.transData.transform((0, centre + 0.5))[1]
            # from left of the frame's left edge (the bars start on it: the zero line and the
            # spine there are drawn again over them) to the figure's right edge (a long label
            # runs past the frame)
            left, right = box.x0 - 3, width
            bottom, top = max(bottom, box.y0 + 1), min(top, box.y1 - 1)
            artists = [bar, *self._over_bars(), self.chart.labels[i]]  # in a full draw's order
        else:
            left, right, bottom, top = 0, width, box.y1 + 1, height
            artists = [self.chart.title]
        x0, x1 = int(left) + 1, int(right)
        y0, y1 = height - int(top), height - int(bottom) - 1  # the buffer counts from the top
        self.canvas.restore_region(self._background, bbox=(x0, y0, x1, y1), xy=(0, 0))
        # the restored pixels, x0..x1 and y0..y1 inclusive, as a clip box (its far edges open)
        band = _clip(x0, height - y1 - 1, x1 + 1, height - y0)
        for artist in artists:
            kept, clipped = artist.get_clip_box(), artist.get_clip_on()
            artist.set_clip_box(band)
            artist.set_clip_on(True)
            figure.draw_artist(artist)
            artist.set_clip_box(kept)
            artist.set_clip_on(clipped)

    def _over_bars(self) -> list[Any]:
        """What a full draw puts over the bars where they start: the zero line, the spine."""
        return [self.chart.zero, self.chart.ax.spines["left"]]

    @property
    def figure(self) -> Any:
        return self.chart.figure


def _clip(x0: float, y0: float, x1: float, y1: float) -> Any:
    from matplotlib.transforms import Bbox

    return Bbox.from_extents(x0, y0, x1, y1)


def status_line(outcome: Outcome, show_time: bool = True) -> str:
    """One line: status, objective, how it was solved (and how long it took)."""
    result = outcome.result
    how = "in place" if outcome.in_place else "compiled afresh"
    if result.optimal:
        took = f" · {outcome.seconds * 1000:.0f} ms" if show_time else ""
        return f"{outcome.objective}: objective {result.objective:.4g} · {how}{took}"
    if result.status.value == "infeasible":
        return f"{outcome.objective}: no package meets every hard limit · {how}"
    return f"{outcome.objective}: solver stopped ({result.status.value}) · {how}"
