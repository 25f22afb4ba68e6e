"""Resolve a validated scenario's names into sets: parties, locations, categories.

This is the data layer the model and the checker both read: who is in a group, which locations
a zone covers, where each party's equipment stands before any change, and the status-quo value
of every quantity. It knows nothing of the LP.

A *location* is ``(party, area)``: each party with territory has its declared areas plus
``main``, the rest of its territory. Ground equipment is counted by owner, location, category
and status (active or storage).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from cfe_opt.categories import AIR, CATEGORY_ALIASES, GROUND, STATUSES, Category, Status
from cfe_opt.scenario.graph import resolve_members
from cfe_opt.scenario.schema import ScenarioSpec

MAIN = "main"

TOTAL = "total"  # the area of a deployment (or a table row) covering a whole territory

Location = tuple[str, str]
EquipmentKey = tuple[str, str, str, Category, Status]  # owner, party, area, category, status
DeploymentKey = tuple[str, str, str, Category]  # kind, host party, area (or total), category


@dataclass(frozen=True)
class ScenarioIndex:
    """The scenario's sets, resolved once."""

    spec: ScenarioSpec
    parties: tuple[str, ...]
    categories: tuple[Category, ...]
    ground: tuple[Category, ...]
    air: tuple[Category, ...]
    party_categories: dict[str, tuple[Category, ...]]  # categories each party's equipment is in
    group_members: dict[str, tuple[str, ...]]
    zone_locations: dict[str, tuple[Location, ...]]
    territory: dict[str, tuple[Location, ...]]  # locations of each party's own territory
    owner_locations: dict[str, tuple[Location, ...]]  # where each party's equipment may stand
    subceiling_areas: tuple[Location, ...]
    active_areas: tuple[Location, ...]  # areas with an active-unit sub-ceiling (a subset)
    # (party, ground category) that have a territorial ceiling in this scenario: a current
    # figure, equipment that may stand there, a temporary-deployment allowance, or a limit or
    # position that names it. Elsewhere the ceiling is not in play and is not modelled.
    territorial_pairs: tuple[tuple[str, Category], ...]
    td_allowance: dict[DeploymentKey, int]  # (kind, host, area or total, category) → allowance
    td_entry: dict[tuple[str, str, str], str]  # (kind, host, area or total) → entry name
    cut_keys: tuple[tuple[str, str, Category], ...]  # (ceiling, party, category) cut by form
    equipment_before: dict[EquipmentKey, int]  # status quo: where each party's equipment stands

    # ---- names -------------------------------------------------------------------------------
    def parties_of(self, refs: Iterable[str] | None) -> tuple[str, ...]:
        """Parties named directly or through groups, in scenario order; None means all."""
        if refs is None:
            return self.parties
        wanted: set[str] = set()
        for ref in refs:
            if ref in self.group_members:
                wanted.update(self.group_members[ref])
            else:
                wanted.add(ref)
        order = self._party_order
        return tuple(sorted((p for p in wanted if p in order), key=order.__getitem__))

    def locations_of(self, refs: Iterable[str]) -> tuple[Location, ...]:
        """Locations named as PARTY.area, PARTY (its whole territory), group or zone."""
        wanted: set[Location] = set()
        for ref in refs:
            if ref in self.zone_locations:
                wanted.update(self.zone_locations[ref])
            elif ref in self.group_members:
                for party in self.group_members[ref]:
                    wanted.update(self.territory[party])
            elif "." in ref:
                party, area = ref.split(".", 1)
                wanted.add((party, area))
            else:
                wanted.update(self.territory.get(ref, ()))
        order = self._location_order
        return tuple(sorted((loc for loc in wanted if loc in order), key=order.__getitem__))

    @functools.cached_property
    def all_locations(self) -> tuple[Location, ...]:
        return tuple(loc for p in self.parties for loc in self.territory[p])

    @functools.cached_property
    def _party_order(self) -> dict[str, int]:
        return {p: i for i, p in enumerate(self.parties)}

    @functools.cached_property
    def _location_order(self) -> dict[Location, int]:
        return {loc: i for i, loc in enumerate(self.all_locations)}

    def categories_of(self, refs: Iterable[str] | None) -> tuple[Category, ...]:
        """Categories named directly or by alias (all, ground, air), within the scenario's."""
        if refs is None:
            return self.categories
        wanted: set[str] = set()
        for ref in refs:
            wanted.update(CATEGORY_ALIASES.get(ref, (ref,)))
        return tuple(c for c in self.categories if c in wanted)

    @functools.cached_property
    def territorial_set(self) -> frozenset[tuple[str, Category]]:
        """``territorial_pairs`` as a set (a test of membership per row, thousands of rows)."""
        return frozenset(self.territorial_pairs)

    @functools.cached_property
    def subceiling_set(self) -> frozenset[Location]:
        return frozenset(self.subceiling_areas)

    @functools.cached_property
    def active_set(self) -> frozenset[Location]:
        return frozenset(self.active_areas)

    def holds(self, party: str, category: str) -> bool:
        """Whether the party's equipment of this category is modelled."""
        return category in self.party_categories[party]

    # ---- status quo ---------------------------------------------------------------------------
    def holdings_before(self, party: str, category: Category) -> int:
        return self.spec.parties[party].holdings[category].value

    def national_ceiling_now(self, party: str, category: Category) -> int | None:
        fig = self.spec.parties[party].national_ceiling.get(category)
        return None if fig is None else fig.value

    def territorial_ceiling_now(self, party: str, category: Category) -> int | None:
        fig = self.spec.parties[party].territorial_ceiling.get(category)
        return None if fig is None else fig.value

    def subceiling_now(self, party: str, area: str, category: Category) -> int | None:
        fig = self.spec.parties[party].areas[area].territorial_subceiling.get(category)
        return None if fig is None else fig.value

    def active_subceiling_now(self, party: str, area: str, category: Category) -> int | None:
        fig = self.spec.parties[party].areas[area].active_figures.get(category)
        return None if fig is None else fig.value

    def ceiling_now(self, ceiling: str, party: str, category: Category) -> int | None:
        if ceiling == "national_ceiling":
            return self.national_ceiling_now(party, category)
        return self.territorial_ceiling_now(party, category)

    def deployed_on(self, party: str, category: Category) -> bool:
        """Whether the party hosts a temporary deployment of this category on its territory."""
        return any(k[1] == party and k[3] == category for k in self.td_allowance)

    def equipment_keys(self) -> list[EquipmentKey]:
        """Every (owner, location, ground category, status) the model counts, in fixed order."""
        return [
            (owner, party, area, cat, status)
            for owner in self.parties
            for (party, area) in self.owner_locations[owner]
            for cat in self.ground
            if cat in self.party_categories[owner]
            for status in STATUSES
        ]


def build_index(spec: ScenarioSpec) -> ScenarioIndex:
    """Resolve the (already cross-checked) scenario into sets."""
    parties = tuple(spec.parties)
    categories = tuple(c for c in spec.categories)
    group_members = _expand_groups(spec)

    territory: dict[str, tuple[Location, ...]] = {}
    for code, party in spec.parties.items():
        if party.territory:
            territory[code] = (*((code, a) for a in party.areas), (code, MAIN))
        else:
            territory[code] = ()

    def location_ref(ref: str) -> Location:
        if "." in ref:
            p, a = ref.split(".", 1)
            return (p, a)
        return (ref, MAIN)

    owner_locations: dict[str, tuple[Location, ...]] = {}
    for code, party in spec.parties.items():
        abroad = [location_ref(ref) for ref in party.stationed]
        owner_locations[code] = (*territory[code], *abroad)

    zone_locations: dict[str, tuple[Location, ...]] = {}
    expanded = _expand_zones(spec, territory, group_members)
    for name in spec.zones:
        locs = expanded[name]
        zone_locations[name] = tuple(
            loc for p in parties for loc in territory[p] if loc in locs
        )

    subceiling_areas = tuple(
        (code, a)
        for code, party in spec.parties.items()
        for a, area in party.areas.items()
        if area.subceiling or area.territorial_subceiling
    )

    active_areas = tuple(
        (code, a)
        for code, party in spec.parties.items()
        for a, area in party.areas.items()
        if (code, a) in subceiling_areas and area.has_active_subceiling
    )

    td_allowance: dict[DeploymentKey, int] = {}
    td_entry: dict[tuple[str, str, str], str] = {}
    for name, entry in spec.temporary_deployments.items():
        for host, area in _deployment_hosts(spec, entry.hosts, group_members):
            td_entry[(entry.kind, host, area)] = name
            for cat, fig in entry.allowance.items():
                if cat in categories:
                    td_allowance[(entry.kind, host, area, cat)] = fig.value

    ground = tuple(c for c in categories if c in GROUND)
    party_categories = {
        code: tuple(c for c in categories
                    if party.categories is None or c in party.categories)
        for code, party in spec.parties.items()
    }
    territorial_pairs = _territorial_pairs(spec, ground, party_categories, owner_locations,
                                           group_members, td_allowance)
    territorial_set = frozenset(territorial_pairs)
    cut_keys = tuple(
        (ceiling, p, c)
        for p in parties
        for ceiling in ("national_ceiling", "territorial_ceiling")
        if ceiling in spec.parties[p].cuts
        for c in (party_categories[p] if ceiling == "national_ceiling"
                  else tuple(c for c in ground if (p, c) in territorial_set))
    )
    return ScenarioIndex(
        spec=spec,
        parties=parties,
        categories=categories,
        party_categories=party_categories,
        ground=ground,
        air=tuple(c for c in categories if c in AIR),
        group_members=group_members,
        zone_locations=zone_locations,
        territory=territory,
        owner_locations=owner_locations,
        subceiling_areas=subceiling_areas,
        active_areas=active_areas,
        territorial_pairs=territorial_pairs,
        td_allowance=td_allowance,
        td_entry=td_entry,
        cut_keys=cut_keys,
        equipment_before=_equipment_before(spec, party_categories),
    )


def _territorial_pairs(spec: ScenarioSpec, ground: tuple[Category, ...],
                       party_categories: dict[str, tuple[Category, ...]],
                       owner_locations: dict[str, tuple[Location, ...]],
                       group_members: dict[str, tuple[str, ...]],
                       td_allowance: dict[DeploymentKey, int],
                       ) -> tuple[tuple[str, Category], ...]:
    wanted: set[tuple[str, str]] = set()
    for code, party in spec.parties.items():
        if not party.territory:
            continue
        wanted.update((code, c) for c in party.territorial_ceiling)
    for owner, locations in owner_locations.items():
        for (host, _area) in locations:
            wanted.update((host, c) for c in party_categories[owner] if c in GROUND)
    wanted.update((host, c) for (_kind, host, area, c) in td_allowance if area == TOTAL)
    named = _territorial_mentions(spec, group_members)
    for code, cats in named:
        wanted.update((code, c) for c in (cats or ground))
    return tuple((p, c) for p in spec.parties if spec.parties[p].territory
                 for c in ground if (p, c) in wanted)


def _territorial_mentions(spec: ScenarioSpec, group_members: dict[str, tuple[str, ...]]
                          ) -> list[tuple[str, tuple[str, ...] | None]]:
    """Parties whose territorial ceiling a limit or position names (with its categories)."""
    from cfe_opt.scenario.schema import (
        EqualTreatmentLimit,
        FreezeLimit,
        ReciprocityLimit,
        SumLimit,
    )

    def expand_parties(refs: list[str] | None) -> list[str]:
        if refs is None:
            return list(spec.parties)
        out: list[str] = []
        for ref in refs:
            out.extend(group_members.get(ref, (ref,)))
        return out

    def expand_categories(refs: list[str] | None) -> tuple[str, ...] | None:
        if refs is None:
            return None
        return tuple(c for ref in refs for c in CATEGORY_ALIASES.get(ref, (ref,)))

    mentions: list[tuple[str, tuple[str, ...] | None]] = []

    def from_quantity(quantity) -> None:  # type: ignore[no-untyped-def]
        for term in quantity.terms:
            if term.of == "territorial_ceiling" and term.areas is None:
                for p in expand_parties(term.parties):
                    mentions.append((p, expand_categories(term.categories)))

    limits = list(spec.limits.values()) + [lim for party in spec.parties.values()
                                           for lim in party.red_lines.values()]
    for limit in limits:
        if isinstance(limit, SumLimit):
            from_quantity(limit.quantity)
        elif isinstance(limit, ReciprocityLimit):
            from_quantity(limit.subject)
            from_quantity(limit.reference)
        elif isinstance(limit, FreezeLimit | EqualTreatmentLimit) and (
                limit.of == "territorial_ceiling"):
            refs = limit.parties if isinstance(limit, FreezeLimit) else [
                *limit.subject, *limit.reference]
            for p in expand_parties(refs):
                mentions.append((p, expand_categories(limit.categories)))
    for party in spec.parties.values():
        for position in party.positions.values():
            from_quantity(position.quantity)
    return [(p, cats) for p, cats in mentions if p in spec.parties]


def _deployment_hosts(spec: ScenarioSpec, refs: Iterable[str],
                      group_members: dict[str, tuple[str, ...]]) -> tuple[tuple[str, str], ...]:
    """(host, area) for each host of a temporary-deployment entry: a party or a group's members
    host on the whole territory (area ``total``), ``PARTY.area`` in that area."""
    wanted: set[tuple[str, str]] = set()
    for ref in refs:
        if "." in ref:
            party, area = ref.split(".", 1)
            wanted.add((party, area))
        else:
            wanted.update((p, TOTAL) for p in group_members.get(ref, (ref,)))
    return tuple((p, a) for p in spec.parties for a in (TOTAL, *spec.parties[p].areas)
                 if (p, a) in wanted)


def _expand_groups(spec: ScenarioSpec) -> dict[str, tuple[str, ...]]:
    """Each group's parties, through nested groups, in scenario order (one pass: linear)."""
    def subgroups(name: str) -> list[str]:
        return [ref for ref in spec.groups[name].members if ref in spec.groups]

    def parties(name: str) -> list[str]:
        return [ref for ref in spec.groups[name].members
                if ref in spec.parties and ref not in spec.groups]

    resolved = resolve_members(list(spec.groups), subgroups, parties)
    return {name: tuple(p for p in spec.parties if p in resolved[name]) for name in spec.groups}


def _expand_zones(spec: ScenarioSpec, territory: dict[str, tuple[Location, ...]],
                  group_members: dict[str, tuple[str, ...]]) -> dict[str, frozenset[Location]]:
    """Each zone's locations, through nested zones (one pass: linear in the zone graph)."""
    def subzones(name: str) -> list[str]:
        return [ref for ref in spec.zones[name].members if ref in spec.zones]

    def locations(name: str) -> list[Location]:
        locs: list[Location] = []
        for ref in spec.zones[name].members:
            if ref in spec.zones:
                continue
            if ref in group_members:
                for p in group_members[ref]:
                    locs.extend(territory[p])
            elif "." in ref:
                p, a = ref.split(".", 1)
                locs.append((p, a))
            else:
                locs.extend(territory.get(ref, ()))
        return locs

    return resolve_members(list(spec.zones), subzones, locations)


def _equipment_before(spec: ScenarioSpec, party_categories: dict[str, tuple[Category, ...]]
                      ) -> dict[EquipmentKey, int]:
    """Where each party's ground equipment stands before any change (validated consistent)."""
    out: dict[EquipmentKey, int] = {}
    for owner, party in spec.parties.items():
        for cat in (c for c in party_categories[owner] if c in GROUND):
            total = party.holdings[cat].value
            area_storage = sum(a.storage[cat].value for a in party.areas.values()
                               if cat in a.storage)
            # without a party-level figure, the areas' storage is all the storage there is
            stored = party.storage[cat].value if cat in party.storage else area_storage
            placed = 0
            placed_storage = 0
            for area_name, area in party.areas.items():
                held = area.holdings[cat].value if cat in area.holdings else 0
                kept = area.storage[cat].value if cat in area.storage else 0
                out[(owner, owner, area_name, cat, "active")] = held - kept
                out[(owner, owner, area_name, cat, "storage")] = kept
                placed += held
                placed_storage += kept
            for ref, figures in party.stationed.items():
                host, area_name = ref.split(".", 1) if "." in ref else (ref, MAIN)
                held = figures[cat].value if cat in figures else 0
                out[(owner, host, area_name, cat, "active")] = held
                out[(owner, host, area_name, cat, "storage")] = 0
                placed += held
            if party.territory:
                out[(owner, owner, MAIN, cat, "active")] = (total - placed) - (
                    stored - placed_storage
                )
                out[(owner, owner, MAIN, cat, "storage")] = stored - placed_storage
    return out


def hard_limits(spec: ScenarioSpec) -> list[tuple[tuple[str, ...], str, object, str, str]]:
    """Every hard limit of the scenario: (field path, name, limit, owner, kind).

    Treaty rules and commitments come from ``limits`` (a limit whose owner is a party is that
    party's commitment; any other owner names a treaty or instrument); red lines come from each
    party's ``red_lines`` and belong to that party.
    """
    out: list[tuple[tuple[str, ...], str, object, str, str]] = []
    for name, limit in spec.limits.items():
        owner = limit.owner or "treaty"
        kind = "commitment" if owner in spec.parties else "treaty_rule"
        out.append((("limits", name), name, limit, owner, kind))
    for code, party in spec.parties.items():
        for name, limit in party.red_lines.items():
            out.append((("parties", code, "red_lines", name), name, limit, code, "red_line"))
    return out
