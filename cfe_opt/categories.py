"""The five categories of treaty-limited equipment (TLE) and the statuses of ground equipment."""

from __future__ import annotations

from typing import Literal

Category = Literal["tanks", "acv", "artillery", "combat_aircraft", "attack_helicopters"]
CATEGORIES: tuple[Category, ...] = (
    "tanks",
    "acv",
    "artillery",
    "combat_aircraft",
    "attack_helicopters",
)
# Ground TLE is limited by territory as well as by nation; aircraft and helicopters by nation only.
GROUND: tuple[Category, ...] = ("tanks", "acv", "artillery")
AIR: tuple[Category, ...] = ("combat_aircraft", "attack_helicopters")
CATEGORY_ALIASES: dict[str, tuple[Category, ...]] = {
    "all": CATEGORIES,
    "ground": GROUND,
    "air": AIR,
}

Status = Literal["active", "storage"]
STATUSES: tuple[Status, ...] = ("active", "storage")

# The largest count a scenario may state: well above any CFE figure (the 1990 all-party ACV
# holdings were 77,402), small enough to catch a typo of several extra digits.
MAX_COUNT = 10_000_000
