"""What if: move a number, watch the package change — through the compiled, warm model.

* ``WhatIf`` (``session.py``): the session; ``WhatIf(scenario).solve({path: value},
  objective=…)`` returns the usual ``Result`` — the call the panel makes, usable without
  widgets.
* ``PackageView`` (``view.py``): the package figure redrawn in place for each change.
* ``panel`` / ``WhatIfPanel`` (``live.py``): the ipywidgets panel (sliders for a position's
  target and range and its party's weight, the objective, a toggle per red line, a button
  pinning the settings as a variant of a study).
* ``pin`` (``pins.py``): settings as a case of a pins study, run into a store like any study.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PackageView", "WhatIf", "panel", "pin"]


def __getattr__(name: str) -> Any:
    if name == "WhatIf":
        from cfe_opt.whatif.session import WhatIf

        return WhatIf
    if name == "PackageView":
        from cfe_opt.whatif.view import PackageView

        return PackageView
    if name == "panel":
        from cfe_opt.whatif.live import panel

        return panel
    if name == "pin":
        from cfe_opt.whatif.pins import pin

        return pin
    raise AttributeError(name)
