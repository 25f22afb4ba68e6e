"""The live what-if panel (ipywidgets): move a party's target, acceptable range and weight,
choose the objective, switch red lines off and on, and watch the package change.

Every change calls ``PackageView.change`` — the session's re-solve through the compiled, warm
model (``cfe_opt.whatif.session``) and an in-place redraw of the package figure — and shows the
new figure in the same image widget. "Pin" writes the current settings as a case of a pins
study (``cfe_opt.whatif.pins``), to be run into a store like any study.

    >>> from cfe_opt.whatif import panel
    >>> panel("models/talks_1998.yaml", position="RUS.flank_acv")    # in a notebook cell
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from cfe_opt.modes import OBJECTIVE_MODES
from cfe_opt.whatif.session import WhatIf
from cfe_opt.whatif.view import PackageView, status_line


class WhatIfPanel:
    """The widgets, the session and the view (see the module docstring)."""

    def __init__(self, session: WhatIf, position: str | None = None,
                 scenario_file: str | Path | None = None,
                 pins: str | Path = "whatif_pins.yaml", store: str | Path | None = None
                 ) -> None:
        import ipywidgets as widgets

        self.session = session
        self.view = PackageView(session)
        self.scenario_file = Path(scenario_file or session.scenario.display)
        self.pins, self.store = Path(pins), (Path(store) if store is not None else None)
        choices = [f"{p}.{n}" for p, n in session.positions()]
        if not choices:
            raise ValueError(f"{session.scenario.display}: no party states a position")
        chosen = position or choices[0]
        if chosen not in choices:
            raise ValueError(f"{chosen}: not a position of {session.scenario.display} "
                             f"(one of {', '.join(choices)})")
        self._quiet = False
        self.position = widgets.Dropdown(options=choices, value=chosen, description="position")
        self.target = widgets.FloatSlider(description="target", continuous_update=False,
                                          readout_format=",.0f")
        self.edge = widgets.FloatSlider(description="range edge", continuous_update=False,
                                        readout_format=",.0f")
        self.weight = widgets.FloatLogSlider(description="party weight", base=10, min=-1,
                                             max=1, step=0.05, value=1.0,
                                             continuous_update=False)
        self.objective = widgets.Dropdown(options=list(OBJECTIVE_MODES),
                                          value=session.objective, description="objective")
        self.red_lines = {f"{p}.{n}": widgets.Checkbox(value=True, description=f"{p}: {n}",
                                                       indent=False)
                          for p, n in session.red_lines()}
        self.image = widgets.Image(value=self.view.png, format="png")
        self.status = widgets.HTML(value=status_line(session.last) if session.last else "")
        self.pin_button = widgets.Button(description="Pin as a study variant",
                                         icon="thumb-tack")
        self.pinned = widgets.HTML(value="")
        self._sliders_for(chosen)
        self.position.observe(self._on_position, names="value")
        for control in (self.target, self.edge, self.weight, self.objective,
                        *self.red_lines.values()):
            control.observe(self._on_change, names="value")
        self.pin_button.on_click(lambda _button: self.pin())
        lines = widgets.VBox(list(self.red_lines.values())) if self.red_lines else widgets.HTML(
            "<i>no red lines in this scenario</i>")
        self.widget = widgets.VBox([
            widgets.HBox([widgets.VBox([self.position, self.target, self.edge, self.weight,
                                        self.objective]),
                          widgets.VBox([widgets.HTML("<b>red lines held</b>"), lines])]),
            self.status, self.image, widgets.HBox([self.pin_button, self.pinned])])

    # ---- the settings the widgets stand for ------------------------------------------------
    def _paths(self, key: str) -> tuple[str, str | None, str]:
        party, name = key.split(".", 1)
        position = self.session.scenario.spec.parties[party].positions[name]
        side = "max" if position.direction == "at_most" else "min"
        rng = position.range
        edge = (f"parties.{party}.positions.{name}.range.{side}"
                if rng is not None and getattr(rng, side) is not None else None)
        return f"parties.{party}.positions.{name}.target", edge, f"parties.{party}.weight"

    def _sliders_for(self, key: str) -> None:
        """Point the sliders at a position: its target, its range's edge, its party's weight."""
        target_path, edge_path, weight_path = self._paths(key)
        self._quiet = True
        try:
            target = float(self.session.value(target_path))
            _span(self.target, target)
            self.target.value = target
            if edge_path is None:
                self.edge.disabled, self.edge.description = True, "no range"
            else:
                edge = float(self.session.value(edge_path))
                self.edge.disabled, self.edge.description = False, "range edge"
                _span(self.edge, edge)
                self.edge.value = edge
            self.weight.value = float(self.session.value(weight_path) or 1.0)
        finally:
            self._quiet = False

    def settings(self) -> dict[str, Any]:
        """The session's settings with the widgets' values for the chosen position."""
        target_path, edge_path, weight_path = self._paths(self.position.value)
        settings = dict(self.session.settings)
        settings[target_path] = _round(self.target.value)
        if edge_path is not None and not self.edge.disabled:
            settings[edge_path] = _round(self.edge.value)
        settings[weight_path] = _round(self.weight.value)
        for key, box in self.red_lines.items():
            party, name = key.split(".", 1)
            path = f"parties.{party}.red_lines.{name}"
            if box.value:
                settings.pop(path, None)
            else:
                settings[path] = None
        return {k: v for k, v in settings.items() if not self._is_base(k, v)}

    def _is_base(self, path: str, value: Any) -> bool:
        from cfe_opt.scenario.paths import MISSING, effective_value

        if value is None:
            return False
        base = effective_value(self.session.scenario.data, self.session.scenario.spec, path)
        if isinstance(base, dict) and "value" in base:
            base = base["value"]
        return base is not MISSING and base is not None and float(base) == float(value)

    # ---- events ------------------------------------------------------------------------------
    def _on_position(self, change: dict) -> None:
        self._sliders_for(change["new"])

    def _on_change(self, _change: dict) -> None:
        if not self._quiet:
            self.update()

    def update(self) -> Any:
        """Re-solve with the widgets' settings and show the new figure; the outcome (None when
        the scenario refuses the settings: the status says why, the figure stays)."""
        from html import escape

        from cfe_opt.errors import CfeOptError

        try:
            outcome, png = self.view.change(self.settings(), self.objective.value)
        except CfeOptError as exc:
            self.status.value = (f"<span style='color:#D55E00'>refused: "
                                 f"{escape(' '.join(str(exc).split()), quote=False)}</span>")
            return None
        self.image.value = png
        self.status.value = status_line(outcome)
        return outcome

    def pin(self) -> str:
        """Pin the current settings as a case of the pins study (and run it into the store,
        if the panel has one); the case's name."""
        from cfe_opt.errors import CfeOptError
        from cfe_opt.whatif.pins import pin

        try:
            name = pin(self.session.settings, self.session.objective, self.scenario_file,
                       self.pins, store=self.store)
        except CfeOptError as exc:
            self.pinned.value = f"<span style='color:#D55E00'>not pinned: {exc}</span>"
            raise
        where = f" and computed into {self.store}" if self.store is not None else ""
        self.pinned.value = f"pinned as <b>{name}</b> in {self.pins}{where}"
        return name

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def _span(slider: Any, value: float) -> None:
    """A slider's range around a value: 0 to twice it (at least 10 units), in 1% steps."""
    high = max(2 * abs(value), value + 10, 10.0)
    slider.min, slider.max = 0.0, 0.0
    slider.max = float(high)
    slider.step = max(1.0, 10 ** math.floor(math.log10(high / 100))) if high > 0 else 1.0


def _round(value: float) -> float | int:
    """A slider's value as a setting: whole numbers as integers (a count stays a count)."""
    value = round(float(value), 6)
    return int(value) if value.is_integer() else value


def panel(scenario: Any, position: str | None = None, objective: str = "weighted",
          pins: str | Path = "whatif_pins.yaml", store: str | Path | None = None
          ) -> WhatIfPanel:
    """A what-if panel on a scenario (a file or a loaded ``Scenario``)."""
    from cfe_opt.scenario import Scenario, load_scenario

    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    session = WhatIf(loaded, objective=objective)  # type: ignore[arg-type]
    file = None if isinstance(scenario, Scenario) else scenario
    return WhatIfPanel(session, position=position, scenario_file=file, pins=pins, store=store)
