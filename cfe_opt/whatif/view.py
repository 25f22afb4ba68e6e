"""The package figure of a what-if session, redrawn in place for each change.

``PackageView(session).change(settings, objective)`` re-solves through the session (the
compiled, warm model) and redraws the package figure on the same figure and artists
(``cfe_opt.plots.package.PackageChart.update``), returning the outcome and the figure as PNG
bytes: what the panel shows, and what the benchmark times.

The redraw blits: the axes, ticks and position names are drawn once and kept as a background;
a change draws only the bars, their labels and the title over it (the axis is widened, and the
whole figure drawn again, only when a deviation outgrows it).
"""

from __future__ import annotations

import io
from typing import Any

from cfe_opt.plots.package import PackageChart, package_size
from cfe_opt.whatif.session import Outcome, WhatIf

DPI = 80  # the live figure: enough for a screen, quick to draw and encode


class PackageView:
    def __init__(self, session: WhatIf, dpi: int = DPI, show_time: bool = True) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.session = session
        self.show_time = show_time
        from matplotlib.figure import Figure

        first = session.last or session.outcome()
        # a figure of its own, not pyplot's: a notebook's inline backend shows and closes
        # pyplot's figures at the end of each cell, and this one lives on in the panel
        figure = Figure(figsize=package_size(len(session.positions())), layout="constrained")
        FigureCanvasAgg(figure)
        self.chart = PackageChart(self._skeleton(), ax=figure.add_subplot(),
                                  title=self._title(), keep_limits=True)
        # two title lines from the start, so the settled layout has room for the status line
        self.chart.update(self._skeleton(), subtitle=status_line(first, show_time))
        figure = self.chart.figure
        figure.set_dpi(dpi)
        self.canvas = FigureCanvasAgg(figure)
        self.canvas.draw()  # settles the layout
        figure.set_layout_engine("none")  # …which later draws keep
        for artist in self.chart.moving:
            artist.set_animated(True)
        self._background: Any = None
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

    def draw(self, outcome: Outcome) -> bytes:
        result = outcome.result
        line = status_line(outcome, self.show_time)
        if result.positions is not None:
            moved = self.chart.update(result.positions, subtitle=line)
        else:  # no package: every bar empty, and the title says why
            moved = self.chart.update(self._skeleton(), subtitle=line)
        figure = self.chart.figure
        if moved or self._background is None:
            self.canvas.draw()  # everything but the moving artists
            self._background = self.canvas.copy_from_bbox(figure.bbox)
            for artist in self.chart.moving:
                figure.draw_artist(artist)
            self._drawn = self._state()
        else:  # only the rows (and the title) that changed: their band restored, redrawn
            now = self._state()
            for i, (before, after) in enumerate(zip(self._drawn, now, strict=True)):
                if before != after:
                    self._redraw(i)
            self._drawn = now
        self.png = _png(self.canvas)
        return self.png

    def _state(self) -> list[tuple[Any, ...]]:
        rows = [(bar.get_width(), text.get_text(), text.get_position())
                for bar, text in zip(self.chart.bars, self.chart.labels, strict=True)]
        return [*rows, (self.chart.ax.title.get_text(),)]

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
            left, right = box.x0 + 1, box.x1 - 1  # inside the frame: the spines stay
            bottom, top = max(bottom, box.y0 + 1), min(top, box.y1 - 1)
            artists = [bar, self.chart.labels[i]]
        else:
            left, right, bottom, top = 0, width, box.y1 + 1, height
            artists = [ax.title]
        x0, x1 = int(left) + 1, int(right)
        y0, y1 = height - int(top), height - int(bottom) - 1  # the buffer counts from the top
        self.canvas.restore_region(self._background, bbox=(x0, y0, x1, y1), xy=(0, 0))
        for artist in artists:
            artist.set_clip_box(_clip(x0, height - y1, x1, height - y0))
            figure.draw_artist(artist)
            artist.set_clip_box(ax.bbox if artist is not ax.title else None)

    @property
    def figure(self) -> Any:
        return self.chart.figure


def _clip(x0: float, y0: float, x1: float, y1: float) -> Any:
    from matplotlib.transforms import Bbox

    return Bbox.from_extents(x0, y0, x1, y1)


def _png(canvas: Any) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw",
                             "RGBA", 0, 1)
    image.convert("RGB").save(buffer, format="png", compress_level=1)  # fast, still lossless
    return buffer.getvalue()


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
