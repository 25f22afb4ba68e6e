"""Cross-reference checks that the schema alone cannot make.

Each check yields ``(path, reason)``; ``check_references`` collects them all, turns each into a
one-line error naming the file, the field path and the reason, and raises them together.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cfe_opt.categories import AIR, CATEGORY_ALIASES, GROUND
from cfe_opt.errors import ScenarioErrors
from cfe_opt.scenario.graph import cycles, resolve_members, show_cycle
from cfe_opt.scenario.loader import SourceMap
from cfe_opt.scenario.quantities import linear_form, status_quo_value
from cfe_opt.scenario.scales import position_scales
from cfe_opt.scenario.schema import (
    EqualTreatmentLimit,
    Figure,
    FreezeLimit,
    Quantity,
    ReciprocityLimit,
    ScenarioSpec,
    SumLimit,
    date_end,
)
from cfe_opt.scenario.sets import MAIN, ScenarioIndex, hard_limits

Problem = tuple[tuple[str | int, ...], str]

TOTAL_AREA = "total"  # the area label of a whole state in the result tables
RESERVED_OWNERS = ("treaty", "model", "analysis")  # owners cfe-opt gives rows itself

_GROUND_TEXT = "ground categories only (tanks, acv, artillery)"


def check_references(spec: ScenarioSpec, source_map: SourceMap) -> None:
    # A name used twice makes every later reference ambiguous: report the clash alone.
    problems: list[Problem] = list(_names(spec))
    if not problems:
        for check in (_groups, _zones, _parties, _temporary_deployments, _limits, _positions,
                      _numerics, _outcomes, _dates):
            problems.extend(check(spec))
    if problems:
        raise ScenarioErrors([source_map.error(path, reason) for path, reason in problems])


# ---- names, groups, zones ---------------------------------------------------------------------
def _names(spec: ScenarioSpec) -> Iterator[Problem]:
    for name in spec.groups:
        if name in spec.parties:
            yield ("groups", name), f"'{name}' is already a party code; names must be distinct"
    for name in spec.zones:
        if name in spec.parties or name in spec.groups:
            yield ("zones", name), f"'{name}' is already a party or group; names must be distinct"
    for code, party in spec.parties.items():
        if code in RESERVED_OWNERS:
            yield ("parties", code), (f"'{code}' is reserved (it names an owner of limits: "
                                      f"{', '.join(RESERVED_OWNERS)})")
        for area in party.areas:
            if area in (MAIN, TOTAL_AREA):
                yield (("parties", code, "areas", area),
                       f"'{area}' is reserved ({MAIN}: the rest of a party's territory; "
                       f"{TOTAL_AREA}: the whole state in the result tables)")
    yield from _case_clashes(spec)
    for name in spec.limits:
        if name in spec.parties:
            yield ("limits", name), (f"'{name}' is a party code; a limit may not share it (the "
                                     "party's red lines are named after it)")


def _case_clashes(spec: ScenarioSpec) -> Iterator[Problem]:
    """Names that differ only in case (``RUS`` and ``Rus``) are ambiguous to a reader, and one
    typed for the other would silently name the wrong party: refused. Parties, groups and zones
    share one namespace; each party's areas form another."""
    seen: dict[str, tuple[str, str]] = {}
    for kind, names in (("parties", spec.parties), ("groups", spec.groups),
                        ("zones", spec.zones)):
        for name in names:
            first = seen.setdefault(name.casefold(), (kind, name))
            if first[1] != name:
                yield (kind, name), (f"'{name}' and '{first[1]}' ({first[0]}.{first[1]}) differ "
                                     "only in case; names must differ in more than case")
    for code, party in spec.parties.items():
        areas: dict[str, str] = {}
        for area in party.areas:
            first_area = areas.setdefault(area.casefold(), area)
            if first_area != area:
                yield (("parties", code, "areas", area),
                       f"'{area}' and '{first_area}' differ only in case; area names must "
                       "differ in more than case")


def _groups(spec: ScenarioSpec) -> Iterator[Problem]:
    for name, group in spec.groups.items():
        for i, ref in enumerate(group.members):
            if ref not in spec.parties and ref not in spec.groups:
                yield ("groups", name, "members", i), f"'{ref}' is not a party or group"
    found = cycles(list(spec.groups),
                   lambda g: [m for m in spec.groups[g].members if m in spec.groups])
    for name in spec.groups:
        if name in found:
            yield ("groups", name, "members"), (f"groups contain each other: "
                                                f"{show_cycle(found[name])}")


def _zones(spec: ScenarioSpec) -> Iterator[Problem]:
    for name, zone in spec.zones.items():
        for i, ref in enumerate(zone.members):
            reason = _location_problem(spec, ref, allow_zone=True)
            if reason:
                yield ("zones", name, "members", i), reason
    found = cycles(list(spec.zones),
                   lambda z: [m for m in spec.zones[z].members if m in spec.zones])
    for name in spec.zones:
        if name in found:
            yield ("zones", name, "members"), (f"zones contain each other: "
                                               f"{show_cycle(found[name])}")


def _location_problem(spec: ScenarioSpec, ref: str, allow_zone: bool) -> str | None:
    if allow_zone and ref in spec.zones:
        return None
    if ref in spec.groups:
        return None
    if "." in ref:
        code, area = ref.split(".", 1)
        if code not in spec.parties:
            return f"'{code}' in '{ref}' is not a party"
        if area == MAIN and spec.parties[code].territory:
            return None
        if area not in spec.parties[code].areas:
            known = ", ".join(spec.parties[code].areas) or "none"
            return f"'{code}' has no area '{area}' (its areas: {known})"
        return None
    if ref in spec.parties:
        if not spec.parties[ref].territory:
            return f"'{ref}' has no territory in the area of application"
        return None
    kinds = "party, PARTY.area, group or zone" if allow_zone else "party, PARTY.area or group"
    return f"'{ref}' is not a {kinds}"


def _party_problem(spec: ScenarioSpec, ref: str) -> str | None:
    if ref in spec.parties or ref in spec.groups:
        return None
    return f"'{ref}' is not a party or group"


# ---- parties ----------------------------------------------------------------------------------
def _parties(spec: ScenarioSpec) -> Iterator[Problem]:
    for code, party in spec.parties.items():
        base = ("parties", code)
        held = spec.categories if party.categories is None else party.categories
        for i, cat in enumerate(party.categories or []):
            if cat not in spec.categories:
                yield (*base, "categories", i), (f"{cat} is not among the scenario's categories "
                                                 f"({', '.join(spec.categories)})")
        for cat in held:
            if cat in spec.categories and cat not in party.holdings:
                yield (*base, "holdings", cat), (
                    f"holdings for {cat} are missing (a party needs holdings for each category "
                    f"its equipment is modelled in: {', '.join(held)})")
        outside = [c for c in spec.categories if c not in held]
        for fieldname in ("holdings", "national_ceiling", "storage"):
            for cat in getattr(party, fieldname):
                if cat in outside:
                    yield (*base, fieldname, cat), (
                        f"{code}'s equipment is not modelled in {cat} (its categories: "
                        f"{', '.join(held) or 'none'})")
        placed = [(("areas", a, f), getattr(area, f)) for a, area in party.areas.items()
                  for f in ("holdings", "storage")]
        placed += [(("stationed", ref), figs) for ref, figs in party.stationed.items()]
        for sub_path, figures in placed:
            for cat in figures:
                if cat in outside:
                    yield (*base, *sub_path, cat), (
                        f"{code}'s equipment is not modelled in {cat} (its categories: "
                        f"{', '.join(held) or 'none'})")
        for fieldname in ("storage", "territorial_ceiling"):
            for cat in getattr(party, fieldname):
                if cat not in GROUND:
                    yield (*base, fieldname, cat), f"{fieldname} is for {_GROUND_TEXT}"
        if not party.territory:
            if party.territorial_ceiling:
                yield (*base, "territorial_ceiling"), (
                    "a party with no territory in the area of application has no territorial "
                    "ceiling")
            if party.areas:
                yield (*base, "areas"), ("a party with no territory in the area of application "
                                         "has no areas")
            if party.storage:
                yield (*base, "storage"), (
                    "a party with no territory keeps no equipment in storage here (its "
                    "equipment is stationed abroad)")
        for area_name, area in party.areas.items():
            for fieldname in ("holdings", "storage", "territorial_subceiling"):
                for cat in getattr(area, fieldname):
                    if cat not in GROUND:
                        yield ((*base, "areas", area_name, fieldname, cat),
                               f"{fieldname} is for {_GROUND_TEXT}")
            yield from _active_subceiling(spec, (*base, "areas", area_name), area)
            for cat, fig in area.storage.items():
                held = area.holdings[cat].value if cat in area.holdings else 0
                if fig.value > held:
                    yield ((*base, "areas", area_name, "storage", cat),
                           f"{fig.value} in storage but only {held} held in the area")
        hosts_seen: dict[tuple[str, str], str] = {}
        for ref, figures in party.stationed.items():
            where = (*base, "stationed", ref)
            host = ref.split(".", 1)[0]
            location = (host, ref.split(".", 1)[1] if "." in ref else MAIN)
            if location in hosts_seen:
                yield where, (f"'{ref}' and '{hosts_seen[location]}' are the same place; list "
                              "it once")
                continue
            hosts_seen[location] = ref
            if host == code:
                yield where, "a party does not station equipment on its own territory"
                continue
            reason = _location_problem(spec, ref, allow_zone=False)
            if reason or host in spec.groups:
                yield where, reason or f"'{ref}' is a group; station in a party or PARTY.area"
                continue
            for cat in figures:
                if cat not in GROUND:
                    yield (*where, cat), f"stationed equipment is counted for {_GROUND_TEXT}"
        yield from _holdings_split(spec, code)
        seen_cuts: set[str] = set()
        for i, ceiling in enumerate(party.cuts):
            if ceiling in seen_cuts:
                yield (*base, "cuts", i), f"{ceiling} is listed twice"
            seen_cuts.add(ceiling)
            if ceiling == "territorial_ceiling" and not party.territory:
                yield (*base, "cuts", i), ("a party with no territory in the area of application "
                                           "has no territorial ceiling to cut")
        for name, limit in party.red_lines.items():
            yield from _limit(spec, ("parties", code, "red_lines", name), limit)


def _active_subceiling(spec: ScenarioSpec, path: tuple[str | int, ...], area) -> Iterator[Problem]:  # type: ignore[no-untyped-def]
    """An active-unit sub-ceiling is part of the area's sub-ceiling, for ground categories."""
    if not area.has_active_subceiling:
        return
    where = (*path, "active_subceiling")
    if not (area.subceiling or area.territorial_subceiling):
        yield where, ("an active-unit sub-ceiling needs the area's total sub-ceiling (give "
                      "territorial_subceiling figures or subceiling: true)")
        return
    for cat, fig in area.active_figures.items():
        if cat not in GROUND:
            yield (*where, cat), f"active_subceiling is for {_GROUND_TEXT}"
            continue
        total = area.territorial_subceiling.get(cat)
        if total is not None and fig.value > total.value:
            yield (*where, cat), (f"{fig.value} in active units is above the area's total "
                                  f"sub-ceiling of {total.value}")


def _holdings_split(spec: ScenarioSpec, code: str) -> Iterator[Problem]:
    party = spec.parties[code]
    for cat in GROUND:
        if cat not in spec.categories or cat not in party.holdings:
            continue
        total = party.holdings[cat].value
        in_areas = sum(a.holdings[cat].value for a in party.areas.values() if cat in a.holdings)
        abroad = sum(f[cat].value for f in party.stationed.values() if cat in f)
        stored = party.storage[cat].value if cat in party.storage else 0
        stored_areas = sum(a.storage[cat].value for a in party.areas.values() if cat in a.storage)
        path = ("parties", code, "holdings", cat)
        if not party.territory:
            if abroad != total:
                yield path, (f"{code} has no territory in the area of application, so all its "
                             f"{total} {cat} must be stationed abroad (stationed lists {abroad})")
            continue
        if in_areas + abroad > total:
            yield path, (f"{total} held, but its areas hold {in_areas} and {abroad} are stationed "
                         "abroad")
        if stored_areas > stored and cat in party.storage:
            yield (("parties", code, "storage", cat),
                   f"{stored} in storage, but its areas alone keep {stored_areas} in storage")
        main_held = total - in_areas - abroad
        main_stored = max(stored - stored_areas, 0)
        if main_stored > main_held and in_areas + abroad <= total:
            yield (("parties", code, "storage", cat),
                   f"{main_stored} in storage outside its areas, but only {main_held} held there")


# ---- temporary deployments --------------------------------------------------------------------
def _temporary_deployments(spec: ScenarioSpec) -> Iterator[Problem]:
    seen: dict[tuple[str, str, str], str] = {}  # (kind, host, area) → entry
    for name, entry in spec.temporary_deployments.items():
        base = ("temporary_deployments", name)
        for cat in entry.allowance:
            if cat not in GROUND:
                yield (*base, "allowance", cat), f"temporary deployments are for {_GROUND_TEXT}"
        for i, ref in enumerate(entry.hosts):
            if "." in ref:
                reason = _location_problem(spec, ref, allow_zone=False)
                if reason is None:
                    code, area = ref.split(".", 1)
                    spec_area = spec.parties[code].areas.get(area)
                    if not spec.parties[code].territory:
                        reason = f"'{code}' has no territory to host deployments"
                    elif spec_area is None or not (spec_area.subceiling
                                                   or spec_area.territorial_subceiling):
                        reason = (f"'{ref}' has no territorial sub-ceiling to deploy above "
                                  "(give it territorial_subceiling figures or subceiling: true)")
                if reason:
                    yield (*base, "hosts", i), reason
                    continue
                places = [(code, area)]
            else:
                reason = _party_problem(spec, ref)
                if reason:
                    yield (*base, "hosts", i), reason
                    continue
                places = [(host, "total") for host in _members(spec, ref)]
            for host, area in places:
                where = host if area == "total" else f"{host}.{area}"
                key = (entry.kind, host, area)
                if not spec.parties[host].territory:
                    yield (*base, "hosts", i), f"'{host}' has no territory to host deployments"
                elif key in seen and seen[key] != name:
                    yield (*base, "hosts", i), (
                        f"'{where}' already takes the {entry.kind} allowance '{seen[key]}'; a "
                        f"host takes one allowance of each kind")
                else:
                    seen[key] = name


def _members(spec: ScenarioSpec, ref: str) -> list[str]:
    """The parties of a party or group, through nested groups, in scenario order."""
    if ref in spec.parties:
        return [ref]
    return list(_group_parties(spec).get(ref, ()))


_LAST_EXPANSION: list[tuple[ScenarioSpec, dict[str, tuple[str, ...]]]] = []


def _group_parties(spec: ScenarioSpec) -> dict[str, tuple[str, ...]]:
    """Every group's parties, resolved once per scenario (a check asks for them many times)."""
    if _LAST_EXPANSION and _LAST_EXPANSION[0][0] is spec:
        return _LAST_EXPANSION[0][1]
    resolved = resolve_members(
        list(spec.groups), lambda g: [m for m in spec.groups[g].members if m in spec.groups],
        lambda g: [m for m in spec.groups[g].members if m in spec.parties])
    members = {g: tuple(p for p in spec.parties if p in found) for g, found in resolved.items()}
    _LAST_EXPANSION[:] = [(spec, members)]
    return members


# ---- quantities, limits, positions ------------------------------------------------------------
def _categories(spec: ScenarioSpec, refs: list[str] | None, path: tuple[str | int, ...],
                ground_only: bool) -> Iterator[Problem]:
    if refs is None:
        return
    for i, ref in enumerate(refs):
        cats = CATEGORY_ALIASES.get(ref, (ref,))
        if ref in CATEGORY_ALIASES:
            continue
        if cats[0] not in spec.categories:
            yield (*path, i), (f"{ref} is not among the scenario's categories "
                               f"({', '.join(spec.categories)})")
        elif ground_only and cats[0] in AIR:
            yield (*path, i), f"{ref}: this quantity is for {_GROUND_TEXT}"


def quantity_problems(spec: ScenarioSpec, quantity: Quantity,
                      path: tuple[str | int, ...]) -> Iterator[Problem]:
    """Problems with one quantity's references, as (field path, reason)."""
    inline = len(quantity.terms) == 1
    for i, term in enumerate(quantity.terms):
        tpath = path if inline else (*path, "terms", i)
        territorial = term.of in ("territorial_ceiling", "equipment", "temporary_deployment")
        yield from _categories(spec, term.categories, (*tpath, "categories"), territorial)
        if term.categories is not None and not [
            c for ref in term.categories for c in CATEGORY_ALIASES.get(ref, (ref,))
            if c in spec.categories and (not territorial or c in GROUND)
        ]:
            yield (*tpath, "categories"), "selects no category of the scenario"
        for j, ref in enumerate(term.parties or []):
            reason = _party_problem(spec, ref)
            if reason:
                yield (*tpath, "parties", j), reason
        if term.areas is not None:
            if term.of not in ("territorial_ceiling", "equipment", "temporary_deployment"):
                yield (*tpath, "areas"), (f"'areas' applies to territorial_ceiling, equipment and "
                                          f"temporary_deployment, not {term.of}")
            if term.parties is not None:
                yield (*tpath, "areas"), "give either 'parties' or 'areas', not both"
            for j, ref in enumerate(term.areas):
                reason = _location_problem(spec, ref, allow_zone=True)
                if reason:
                    yield (*tpath, "areas", j), reason
                elif term.of == "territorial_ceiling":
                    reason = _subceiling_problem(spec, ref)
                    if reason is None and term.status != "any":
                        reason = _active_problem(spec, ref)
                    if reason:
                        yield (*tpath, "areas", j), reason
        if term.owners is not None:
            if term.of != "equipment":
                yield (*tpath, "owners"), f"'owners' applies to equipment, not {term.of}"
            for j, ref in enumerate(term.owners):
                reason = _party_problem(spec, ref)
                if reason:
                    yield (*tpath, "owners", j), reason
        if term.status != "any" and term.of != "equipment" and not (
                term.of == "territorial_ceiling" and term.areas is not None):
            yield (*tpath, "status"), ("'status' applies to equipment and to the sub-ceilings of "
                                       f"areas (territorial_ceiling with 'areas'), not {term.of}"
                                       + (" over whole territories" if term.of ==
                                          "territorial_ceiling" else ""))
        if term.kinds is not None:
            if term.of != "temporary_deployment":
                yield (*tpath, "kinds"), f"'kinds' applies to temporary_deployment, not {term.of}"
            else:
                offered = {e.kind for e in spec.temporary_deployments.values()}
                for j, kind in enumerate(term.kinds):
                    if kind not in offered:
                        yield (*tpath, "kinds", j), (f"no temporary_deployments entry is of kind "
                                                     f"{kind}")
        if term.of == "ceiling_cut":
            if term.ceiling is None:
                yield (*tpath, "ceiling"), ("a ceiling_cut names its ceiling (national_ceiling or "
                                            "territorial_ceiling)")
            else:
                cutters = [p for p in _term_parties(spec, term.parties)
                           if term.ceiling in spec.parties[p].cuts]
                if not cutters:
                    yield (*tpath, "parties"), (f"none of these parties cuts its {term.ceiling} by "
                                                f"form (see the party's 'cuts')")
        else:
            if term.ceiling is not None:
                yield (*tpath, "ceiling"), f"'ceiling' applies to ceiling_cut, not {term.of}"
            if term.form != "any":
                yield (*tpath, "form"), f"'form' applies to ceiling_cut, not {term.of}"
        if term.of == "equipment" and term.areas is None:
            for j, ref in enumerate(term.parties or []):
                for p in _members(spec, ref) if _party_problem(spec, ref) is None else []:
                    if not spec.parties[p].territory:
                        yield (*tpath, "parties", j), (
                            f"'{p}' has no territory: for equipment, 'parties' names where it "
                            "stands; use 'owners' for whose equipment it is")
        if term.of in ("territorial_ceiling",) and term.areas is None:
            for j, ref in enumerate(term.parties or []):
                for p in _members(spec, ref) if _party_problem(spec, ref) is None else []:
                    if not spec.parties[p].territory:
                        yield (*tpath, "parties", j), (
                            f"'{p}' has no territory, so no territorial ceiling")
        if term.of == "temporary_deployment" and term.areas is None:
            hosts = _term_parties(spec, term.parties)
            hosted = [h for h in hosts if _hosts(spec, h)]
            if hosts and not hosted:
                yield (*tpath, "parties"), ("none of these parties has a temporary-deployment "
                                            "allowance (see temporary_deployments)")


def _term_parties(spec: ScenarioSpec, refs: list[str] | None) -> list[str]:
    if refs is None:
        return list(spec.parties)
    out: list[str] = []
    for ref in refs:
        if _party_problem(spec, ref) is None:
            out.extend(_members(spec, ref))
    return out


def _hosts(spec: ScenarioSpec, party: str) -> bool:
    return any(party in [m for ref in e.hosts if _party_problem(spec, ref) is None
                         for m in _members(spec, ref)]
               for e in spec.temporary_deployments.values())


def _active_problem(spec: ScenarioSpec, ref: str) -> str | None:
    if ref in spec.zones:
        return None  # a zone: its areas with an active-unit sub-ceiling count
    code, area = ref.split(".", 1)
    if not spec.parties[code].areas[area].has_active_subceiling:
        return (f"'{ref}' has no active-unit sub-ceiling (give it active_subceiling figures or "
                "active_subceiling: true), so it has no active or storage part")
    return None


def _subceiling_problem(spec: ScenarioSpec, ref: str) -> str | None:
    if ref in spec.zones:
        return None  # a zone: its areas with a sub-ceiling count (one at least, checked later)
    if "." not in ref:
        return (f"'{ref}': a territorial ceiling over areas names areas with a sub-ceiling "
                "(PARTY.area); use 'parties' for whole territories")
    code, area = ref.split(".", 1)
    spec_area = spec.parties[code].areas.get(area)
    if spec_area is None or not (spec_area.subceiling or spec_area.territorial_subceiling):
        return (f"'{ref}' has no territorial sub-ceiling (give it territorial_subceiling figures "
                "or subceiling: true)")
    return None


def _limits(spec: ScenarioSpec) -> Iterator[Problem]:
    for name, limit in spec.limits.items():
        yield from _limit(spec, ("limits", name), limit)


def _limit(spec: ScenarioSpec, path: tuple[str | int, ...], limit) -> Iterator[Problem]:  # type: ignore[no-untyped-def]
    if isinstance(limit, SumLimit):
        yield from quantity_problems(spec, limit.quantity, (*path, "quantity"))
        if "party" in limit.per:
            for i, term in enumerate(limit.quantity.terms):
                if term.areas is not None:
                    where = (*path, "quantity") if len(limit.quantity.terms) == 1 else (
                        *path, "quantity", "terms", i)
                    yield (*where, "areas"), ("'per: [party]' needs terms that select by "
                                              "'parties', not 'areas'")
        if limit.values is not None:
            used = {c for t in limit.quantity.terms
                    for c in _cats(spec, t.categories)
                    if c in GROUND or t.of in ("holdings", "national_ceiling", "reduction")}
            for cat in used:
                if cat not in limit.values:
                    yield (*path, "values"), f"no figure for {cat}, which the quantity covers"
    elif isinstance(limit, FreezeLimit):
        yield from _categories(spec, limit.categories, (*path, "categories"),
                               limit.of == "territorial_ceiling")
        yield from _current_figures(spec, path, limit.of, limit.parties, limit.areas,
                                    limit.categories, "parties", status=limit.status)
        if limit.status != "any" and limit.parties:
            yield (*path, "status"), ("'status' freezes a part of an area's sub-ceiling: name "
                                      "the areas only")
    elif isinstance(limit, EqualTreatmentLimit):
        yield from _categories(spec, limit.categories, (*path, "categories"),
                               limit.of == "territorial_ceiling")
        for role in ("subject", "reference"):
            yield from _current_figures(spec, path, limit.of, getattr(limit, role), None,
                                        limit.categories, role, positive=True)
    elif isinstance(limit, ReciprocityLimit):
        for role in ("subject", "reference"):
            yield from quantity_problems(spec, getattr(limit, role), (*path, role))
            for i, term in enumerate(getattr(limit, role).terms):
                if term.of in ("reduction", "temporary_deployment", "ceiling_cut"):
                    yield (*path, role), (f"reciprocity compares cuts from current figures; "
                                          f"use holdings or the ceiling rather than {term.of}")
                    break
                if term.of in ("national_ceiling", "territorial_ceiling"):
                    yield from _reciprocity_figures(spec, path, role, i, term)


def _cats(spec: ScenarioSpec, refs: list[str] | None) -> list[str]:
    if refs is None:
        return list(spec.categories)
    return [c for ref in refs for c in CATEGORY_ALIASES.get(ref, (ref,)) if c in spec.categories]


def _current_figures(spec: ScenarioSpec, path: tuple[str | int, ...], of: str,
                     refs: list[str], areas: list[str] | None, categories: list[str] | None,
                     role: str, positive: bool = False, status: str = "any"
                     ) -> Iterator[Problem]:
    cats = [c for c in _cats(spec, categories) if of != "territorial_ceiling" or c in GROUND]
    for i, ref in enumerate(refs):
        reason = _party_problem(spec, ref)
        if reason:
            yield (*path, role, i), reason
            continue
        for p in _members(spec, ref):
            party = spec.parties[p]
            if of == "territorial_ceiling" and not party.territory:
                yield (*path, role, i), f"'{p}' has no territory, so no territorial ceiling"
                continue
            figures = {"national_ceiling": party.national_ceiling,
                       "territorial_ceiling": party.territorial_ceiling,
                       "holdings": party.holdings}[of]
            for cat in cats:
                if cat not in figures:
                    yield (*path, role, i), f"'{p}' has no current {of} for {cat}"
                elif positive and figures[cat].value == 0:
                    yield (*path, role, i), (f"'{p}' has a current {of} of 0 for {cat}, so a "
                                             "cut share is undefined")
    for i, ref in enumerate(areas or []):
        reason = _location_problem(spec, ref, allow_zone=False)
        if reason or "." not in ref:
            yield (*path, "areas", i), reason or f"'{ref}': name an area as PARTY.area"
            continue
        if of != "territorial_ceiling":
            yield (*path, "areas", i), "areas can only be frozen at their territorial sub-ceiling"
            continue
        code, area = ref.split(".", 1)
        spec_area = spec.parties[code].areas[area]
        for cat in cats:
            if status != "active" and cat not in spec_area.territorial_subceiling:
                yield (*path, "areas", i), f"'{ref}' has no current sub-ceiling for {cat}"
            elif status != "any" and cat not in spec_area.active_figures:
                yield (*path, "areas", i), (f"'{ref}' has no current active-unit sub-ceiling "
                                            f"for {cat}")


def _reciprocity_figures(spec: ScenarioSpec, path: tuple[str | int, ...], role: str, i: int,
                         term) -> Iterator[Problem]:  # type: ignore[no-untyped-def]
    """A cut is measured from the current figure, so every ceiling in the term needs one."""
    if term.areas is not None:
        for ref in term.areas:
            if _location_problem(spec, ref, allow_zone=True) or "." not in ref:
                continue
            code, area = ref.split(".", 1)
            spec_area = spec.parties[code].areas.get(area)
            totals = spec_area.territorial_subceiling if spec_area is not None else {}
            actives = spec_area.active_figures if spec_area is not None else {}
            needed = {"any": (totals,), "active": (actives,), "storage": (totals, actives)}[
                term.status]
            for cat in _cats(spec, term.categories):
                if cat in GROUND and any(cat not in figures for figures in needed):
                    part = "" if term.status == "any" else f" ({term.status} part)"
                    yield (*path, role), (f"'{ref}' has no current sub-ceiling{part} for {cat} "
                                          "to cut from")
                    return
        return
    for p in _term_parties(spec, term.parties):
        party = spec.parties[p]
        if term.of == "territorial_ceiling" and not party.territory:
            continue
        held = spec.categories if party.categories is None else party.categories
        figures = party.national_ceiling if term.of == "national_ceiling" else (
            party.territorial_ceiling)
        for cat in _cats(spec, term.categories):
            if term.of == "territorial_ceiling" and cat not in GROUND:
                continue
            if term.of == "national_ceiling" and cat not in held:
                continue  # not modelled for this party: the term skips it
            if cat not in figures:
                yield (*path, role), f"'{p}' has no current {term.of} for {cat} to cut from"
                return


def _positions(spec: ScenarioSpec) -> Iterator[Problem]:
    for code, party in spec.parties.items():
        for name, position in party.positions.items():
            base = ("parties", code, "positions", name)
            yield from quantity_problems(spec, position.quantity, (*base, "quantity"))
            seen: set[str] = set()
            for i, ref in enumerate(position.joint_with):
                reason = _party_problem(spec, ref)
                if reason is None and code in _members(spec, ref):
                    reason = (f"'{ref}' includes {code}, the position's owner; list only the "
                              "other holders")
                if reason is None and seen & set(_members(spec, ref)):
                    reason = f"'{ref}' names a holder already listed"
                if reason:
                    yield (*base, "joint_with", i), reason
                else:
                    seen.update(_members(spec, ref))


RESERVED_OUTCOMES = ("case", "description", "status", "objective")  # cases.csv's own columns


def _outcomes(spec: ScenarioSpec) -> Iterator[Problem]:
    for name, outcome in spec.outcomes.items():
        if name in RESERVED_OUTCOMES or name.startswith("deviation_"):
            yield ("outcomes", name), (f"'{name}' is a column cases.csv gives itself "
                                       f"({', '.join(RESERVED_OUTCOMES)}, deviation_<party>): "
                                       "name the outcome otherwise")
        yield from quantity_problems(spec, outcome.quantity, ("outcomes", name, "quantity"))


# ---- dates ------------------------------------------------------------------------------------
def _dates(spec: ScenarioSpec) -> Iterator[Problem]:
    """With ``as_of``: every input carries the date of what it describes; one dated after
    ``as_of`` is a later stand-in, flagged. Without ``as_of`` dates are optional, but a stand-in
    still needs a date (checked by the schema)."""
    if spec.as_of is None:
        return
    cutoff = date_end(spec.as_of)
    for path, item in dated_inputs(spec):
        where = (*path, "date")
        if item.date is None:
            yield where, ("needed in a scenario with as_of (the date of what this describes: as "
                          "of, in force from, stated on)" + (
                              "; write the figure as {value: ..., source: ..., date: ...}"
                              if isinstance(item, Figure) and item.source is None else ""))
            continue
        later = date_end(item.date) > cutoff
        if later and not item.stand_in:
            yield where, (f"{item.date} is after the scenario's as_of {spec.as_of}; mark it "
                          "stand_in: true with a note, or use a figure dated on or before")
        elif item.stand_in and not later:
            yield (*path, "stand_in"), (f"{item.date} is not after as_of {spec.as_of}: it is "
                                        "not a later stand-in")


def dated_inputs(spec: ScenarioSpec) -> Iterator[tuple[tuple[str | int, ...], object]]:
    """Every input the date rule covers, with its field path: each figure (holdings, ceilings,
    area figures, stationed forces, limit values, allowances), each position, and each limit
    with no figure of its own (freeze, reciprocity, equal treatment)."""
    for code, party in spec.parties.items():
        base = ("parties", code)
        for fieldname in ("holdings", "storage", "national_ceiling", "territorial_ceiling"):
            for cat, fig in getattr(party, fieldname).items():
                yield (*base, fieldname, cat), fig
        for a, area in party.areas.items():
            for fieldname in ("holdings", "storage", "territorial_subceiling"):
                for cat, fig in getattr(area, fieldname).items():
                    yield (*base, "areas", a, fieldname, cat), fig
            for cat, fig in area.active_figures.items():
                yield (*base, "areas", a, "active_subceiling", cat), fig
        for ref, figures in party.stationed.items():
            for cat, fig in figures.items():
                yield (*base, "stationed", ref, cat), fig
        for name, position in party.positions.items():
            yield (*base, "positions", name), position
    for path, _name, limit, _owner, _kind in hard_limits(spec):
        if isinstance(limit, SumLimit):
            if limit.value is not None:
                yield (*path, "value"), limit.value
            for cat, fig in (limit.values or {}).items():
                yield (*path, "values", cat), fig
        else:
            yield path, limit
    for name, entry in spec.temporary_deployments.items():
        for cat, fig in entry.allowance.items():
            yield ("temporary_deployments", name, "allowance", cat), fig


# ---- numbers the LP solver can represent ------------------------------------------------------
# HiGHS works to absolute tolerances of about 1e-7 (primal and dual feasibility) and treats
# matrix entries below 1e-9 as zero. A position's weight per unit of deviation,
#   k = party weight × position weight / scale   (each side's scale: see position_scales),
# is the objective's coefficient of that deviation. Where k·Δ, the objective's change for a
# deviation of Δ units, falls to the solvers' tolerances, the tie-break stages may move the
# package by Δ unnoticed: measured with the default tie-break, k = 1e-9 let a ceiling drift by
# 100 tanks away from the optimum, while k ≥ 3e-9 held it (the engine scales costs in the main
# stage, so a lone tiny weight such as 7.5e-8 is honoured). The bound 1e-8 keeps every
# deviation of 10 units or more above 1e-7. Above 1e7 the objective dwarfs everything else
# (ordinary weights fall below the held optima's relative slack; near 1e18 the model cannot
# be solved at all). Both are refused at validation, with the reason, rather than solved wrongly.
MIN_UNIT_WEIGHT = 1e-8
MAX_UNIT_WEIGHT = 1e7
# A coefficient inside a quantity, or a reciprocity ratio, becomes a matrix entry: 0 or a size
# between these bounds.
MIN_COEFFICIENT = 1e-6
MAX_COEFFICIENT = 1e6


def _numerics(spec: ScenarioSpec) -> Iterator[Problem]:
    for code, party in spec.parties.items():
        for name, position in party.positions.items():
            path = ("parties", code, "positions", name)
            weight = party.weight * position.weight
            low, high = position_scales(position)
            sides = {"at_least": [("shortfall", low)], "at_most": [("excess", high)],
                     "exactly": [("shortfall", low), ("excess", high)]}[position.direction]
            for side, scale in sides:
                k = weight / scale
                if MIN_UNIT_WEIGHT < k <= MAX_UNIT_WEIGHT:
                    continue
                fix = ("a larger scale or smaller weights" if k > MAX_UNIT_WEIGHT
                       else "a smaller scale or larger weights")
                yield path, (
                    f"the weight per unit of {side} is {float(k):.3g} (party weight "
                    f"{float(party.weight):g} × weight {float(position.weight):g} / scale "
                    f"{float(scale):.3g}); the LP solver (HiGHS, tolerances about 1e-7) cannot "
                    f"resolve weights per unit at or below {MIN_UNIT_WEIGHT:g} or above "
                    f"{MAX_UNIT_WEIGHT:g} (the answer could drift unnoticed): choose {fix}")
                break
            yield from _coefficients(position.quantity, (*path, "quantity"))
    for path, _name, limit, _owner, _kind in hard_limits(spec):
        if isinstance(limit, SumLimit):
            yield from _coefficients(limit.quantity, (*path, "quantity"))
        elif isinstance(limit, ReciprocityLimit):
            yield from _coefficients(limit.subject, (*path, "subject"))
            yield from _coefficients(limit.reference, (*path, "reference"))
            yield from _matrix_entry(limit.ratio, (*path, "ratio"), "ratio")


def _coefficients(quantity: Quantity, path: tuple[str | int, ...]) -> Iterator[Problem]:
    inline = len(quantity.terms) == 1
    for i, term in enumerate(quantity.terms):
        where = (*path, "coefficient") if inline else (*path, "terms", i, "coefficient")
        yield from _matrix_entry(term.coefficient, where, "coefficient")


def _matrix_entry(value: Any, path: tuple[str | int, ...], what: str) -> Iterator[Problem]:
    if value == 0 or MIN_COEFFICIENT <= abs(value) <= MAX_COEFFICIENT:
        return
    yield path, (f"{what} {float(value):.3g} is outside what the LP solver can represent "
                 f"reliably: give 0 or a size between {MIN_COEFFICIENT:g} and "
                 f"{MAX_COEFFICIENT:g} (HiGHS drops matrix entries below 1e-9 and works to "
                 "tolerances of about 1e-7)")


_NOTHING = ("selects nothing in this scenario (no party, area or category it names has such a "
            "variable)")


def check_selections(spec: ScenarioSpec, index: ScenarioIndex, source_map: SourceMap) -> None:
    """Refuse a limit, reciprocity side or position whose quantity selects no variable at all:
    it would silently say nothing (or, for a floor, make every package infeasible)."""
    problems: list[Problem] = []
    for path, _name, limit, _owner, _kind in hard_limits(spec):
        if isinstance(limit, SumLimit) and not linear_form(index, limit.quantity):
            problems.append(((*path, "quantity"), _NOTHING))
        elif isinstance(limit, ReciprocityLimit):
            for role in ("subject", "reference"):
                form = linear_form(index, getattr(limit, role))
                if not form:
                    problems.append(((*path, role), _NOTHING))
                    continue
                now = status_quo_value(index, form)
                if limit.measure == "share" and (now is None or now <= 0):
                    problems.append(((*path, role), f"its current value is {now or 0:g}, so a "
                                     "cut share is undefined; use measure: absolute"))
    for code, party in spec.parties.items():
        for name, position in party.positions.items():
            if not linear_form(index, position.quantity):
                problems.append((("parties", code, "positions", name, "quantity"), _NOTHING))
    for name, outcome in spec.outcomes.items():
        if not linear_form(index, outcome.quantity):
            problems.append((("outcomes", name, "quantity"), _NOTHING))
    for (ceiling, p, c) in index.cut_keys:
        if index.ceiling_now(ceiling, p, c) is None:
            i = spec.parties[p].cuts.index(ceiling)
            problems.append((("parties", p, "cuts", i), (
                f"{p} has no current {ceiling} for {c} to cut from (a ceiling cut by form "
                "needs a current figure in every category where it is modelled)")))
    if problems:
        raise ScenarioErrors([source_map.error(path, reason) for path, reason in problems])
