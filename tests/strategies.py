"""Hypothesis strategies: random *valid* cfe-opt scenarios, as plain dicts.

``scenarios()`` draws a scenario that respects the schema and every cross-reference rule of
``cfe_opt/scenario/validate.py``: holdings split consistently over areas, storage and stationed
forces; parties without territory station all their ground equipment abroad; freezes and equal
treatment name only parties (and areas) with current figures; a temporary-deployment host takes
one entry; quantities use the fields their kind allows… Random limits may well make a scenario
infeasible — that is intended (the concession is then exercised).

The generator keeps the state it builds in a ``_Ctx`` so that later draws (limits, positions)
only refer to what exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

ALL_CATEGORIES = ("tanks", "acv", "artillery", "combat_aircraft", "attack_helicopters")
GROUND = ("tanks", "acv", "artillery")
AIR = ("combat_aircraft", "attack_helicopters")
PARTY_CODES = ("RUS", "UKR", "USA", "DEU", "TUR", "POL", "CAN", "GEO")
AREA_NAMES = ("flank", "north", "odessa")
TREATY_OWNERS = ("CFE", "Adapted_CFE", "Flank_Document")
LIMIT_TYPES = ("sum", "freeze", "reciprocity", "equal_treatment")
SENSES = ("<=", "<=", ">=", "==")
COEFFICIENTS = (1, 1, 1, 1, 2, -1, 0.5, 3, 0)


@dataclass
class _Ctx:
    """What has been generated so far (for cross-references)."""

    cats: list[str]
    big: int  # the largest count drawn for one location/category
    limit_types: tuple[str, ...] = LIMIT_TYPES
    senses: tuple[str, ...] = SENSES
    codes: list[str] = field(default_factory=list)
    territory: dict[str, bool] = field(default_factory=dict)
    held: dict[str, list[str]] = field(default_factory=dict)  # categories each party holds
    areas: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    holdings: dict[tuple[str, str], int] = field(default_factory=dict)
    nc: dict[tuple[str, str], int] = field(default_factory=dict)
    tc: dict[tuple[str, str], int] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)  # name → member parties
    zones: list[str] = field(default_factory=list)
    td_hosts: set[str] = field(default_factory=set)

    @property
    def ground(self) -> list[str]:
        return [c for c in self.cats if c in GROUND]

    @property
    def air(self) -> list[str]:
        return [c for c in self.cats if c in AIR]

    @property
    def with_territory(self) -> list[str]:
        return [p for p in self.codes if self.territory[p]]

    def members(self, ref: str) -> list[str]:
        return self.groups.get(ref, [ref])

    def subceiling_areas(self) -> list[str]:
        return [f"{p}.{a}" for p in self.codes for a, area in self.areas.get(p, {}).items()
                if area.get("subceiling") or area.get("territorial_subceiling")]


def _value(fig: Any) -> int:
    return fig["value"] if isinstance(fig, dict) else fig


def _one_in(draw: st.DrawFn, n: int) -> bool:
    """True with probability about 1/n (``integers`` would favour 0 far more)."""
    return draw(st.sampled_from(range(n))) == 0


def figure(draw: st.DrawFn, value: int) -> Any:
    """A count, written bare or with its provenance."""
    style = draw(st.sampled_from(range(8)))
    if style == 6:
        return {"value": value, "source": "HC 295 para 46", "confidence": "two sources"}
    if style == 7:
        return {"value": value, "assumption": True, "note": "assumed for the test"}
    return value


def _count(draw: st.DrawFn, ctx: _Ctx, low: int = 0) -> int:
    return draw(st.integers(low, ctx.big) | st.just(low))


# ---- categories --------------------------------------------------------------------------------
def _category_refs(draw: st.DrawFn, ctx: _Ctx, ground_only: bool) -> list[str] | None:
    """A ``categories`` list that selects at least one usable category (or None: all)."""
    usable = ctx.ground if ground_only else ctx.cats
    if not usable or draw(st.booleans()):
        return None
    choices = list(usable)
    if ctx.ground:
        choices += ["ground", "all"]
    if not ground_only and ctx.air:
        choices += ["air"]
    return draw(st.lists(st.sampled_from(choices), min_size=1, max_size=3, unique=True))


def _resolve_categories(ctx: _Ctx, refs: list[str] | None, ground_only: bool) -> list[str]:
    aliases = {"all": ALL_CATEGORIES, "ground": GROUND, "air": AIR}
    wanted: set[str] = set()
    for ref in refs if refs is not None else ctx.cats:
        wanted.update(aliases.get(ref, (ref,)))
    return [c for c in ctx.cats if c in wanted and (not ground_only or c in GROUND)]


# ---- parties -----------------------------------------------------------------------------------
def _area(draw: st.DrawFn, ctx: _Ctx, held_cats: list[str]) -> dict[str, Any]:
    """An area of a party that holds ``held_cats`` (its ground categories)."""
    area: dict[str, Any] = {}
    if draw(st.booleans()):
        area["name"] = "an area"
    held = {c: _count(draw, ctx) // 3 for c in held_cats if draw(st.booleans())}
    if held:
        area["holdings"] = {c: figure(draw, v) for c, v in held.items()}
    stored = {c: draw(st.integers(0, v)) for c, v in held.items() if draw(st.booleans())}
    if stored:
        area["storage"] = {c: figure(draw, v) for c, v in stored.items()}
    kind = draw(st.sampled_from(["none", "figures", "flag", "both"]))
    if kind in ("figures", "both") and ctx.ground:
        cats = draw(st.lists(st.sampled_from(ctx.ground), min_size=1, unique=True))
        area["territorial_subceiling"] = {
            c: figure(draw, max(0, held.get(c, 0) + draw(st.integers(-20, ctx.big // 4))))
            for c in cats}
    if kind in ("flag", "both"):
        area["subceiling"] = True
    return area


def _parties(draw: st.DrawFn, ctx: _Ctx, max_parties: int) -> dict[str, dict[str, Any]]:
    n = draw(st.integers(2, max_parties))
    ctx.codes = list(draw(st.permutations(PARTY_CODES)))[:n]
    parties: dict[str, dict[str, Any]] = {}
    for i, code in enumerate(ctx.codes):
        ctx.territory[code] = i == 0 or draw(st.sampled_from([True, True, False]))
        party: dict[str, Any] = {"name": f"Party {code}"}
        if not ctx.territory[code]:
            party["territory"] = False
        if _one_in(draw, 5):
            party["kind"] = "aggregate"
        if _one_in(draw, 4):
            party["weight"] = draw(st.sampled_from([2, 0.5, 1.5]))
        # the categories its equipment is modelled in: all of the scenario's, or some, or none
        if _one_in(draw, 5):
            some = draw(st.lists(st.sampled_from(ctx.cats), min_size=1, unique=True))
            party["categories"] = [] if _one_in(draw, 4) else some
        ctx.held[code] = [c for c in ctx.cats if c in party.get("categories", ctx.cats)]
        if ctx.territory[code]:
            names = draw(st.lists(st.sampled_from(AREA_NAMES), max_size=2, unique=True))
            ground = [c for c in ctx.held[code] if c in GROUND]
            ctx.areas[code] = {a: _area(draw, ctx, ground) for a in names}
            if ctx.areas[code]:
                party["areas"] = ctx.areas[code]
        parties[code] = party

    # stationed forces: each party may keep ground equipment on others' territory
    stationed: dict[str, dict[str, dict[str, int]]] = {}
    for code in ctx.codes:
        hosts = [h for h in ctx.with_territory if h != code]
        ground = [c for c in ctx.held[code] if c in GROUND]
        if not hosts:
            continue
        locations: dict[tuple[str, str], str] = {}  # HOST and HOST.main are one location
        for host in draw(st.lists(st.sampled_from(hosts), unique=True,
                                  min_size=0 if ctx.territory[code] or not ground else 1,
                                  max_size=2)):
            where = draw(st.sampled_from(["", "main", *ctx.areas.get(host, {})]))
            locations[(host, where or "main")] = f"{host}.{where}" if where else host
        entries = {}
        for ref in locations.values():
            entries[ref] = {c: _count(draw, ctx) // 4 for c in ground if draw(st.booleans())}
        if entries:
            stationed[code] = entries
            parties[code]["stationed"] = {
                ref: {c: figure(draw, v) for c, v in figures.items()}
                for ref, figures in entries.items()}

    # holdings, split consistently over areas, storage and stationed forces
    for code in ctx.codes:
        party = parties[code]
        holdings: dict[str, Any] = {}
        storage: dict[str, Any] = {}
        for c in ctx.held[code]:
            abroad = sum(f.get(c, 0) for f in stationed.get(code, {}).values())
            if c in AIR:
                total = _count(draw, ctx)
            elif not ctx.territory[code]:
                total = abroad
            else:
                areas = ctx.areas[code].values()
                in_areas = sum(_value(a.get("holdings", {}).get(c, 0)) for a in areas)
                stored_areas = sum(_value(a.get("storage", {}).get(c, 0)) for a in areas)
                main_held = _count(draw, ctx)
                total = in_areas + abroad + main_held
                main_stored = draw(st.integers(0, main_held)) if draw(st.booleans()) else 0
                # without a party storage figure, the areas' storage is all there is
                omit = not main_stored and draw(st.booleans())
                if not omit and (stored_areas or main_stored or draw(st.booleans())):
                    storage[c] = figure(draw, stored_areas + main_stored)
            ctx.holdings[(code, c)] = total
            holdings[c] = figure(draw, total)
        if holdings or draw(st.booleans()):
            party["holdings"] = holdings
        if storage:
            party["storage"] = storage

    # current ceilings: sometimes missing, sometimes below what is held now
    for code in ctx.codes:
        party = parties[code]
        nc = {}
        for c in ctx.held[code]:
            if not _one_in(draw, 5):
                v = max(0, ctx.holdings[(code, c)] + draw(st.integers(-50, ctx.big // 3)))
                ctx.nc[(code, c)] = v
                nc[c] = figure(draw, v)
        if nc:
            party["national_ceiling"] = nc
        if not ctx.territory[code]:
            continue
        tc = {}
        for c in ctx.ground:
            if not _one_in(draw, 5):
                own = ctx.holdings.get((code, c), 0) - sum(
                    f.get(c, 0) for f in stationed.get(code, {}).values())
                foreign = sum(f.get(c, 0) for o in stationed for ref, f in stationed[o].items()
                              if ref.split(".")[0] == code)
                v = max(0, own + foreign + draw(st.integers(-50, ctx.big // 3)))
                ctx.tc[(code, c)] = v
                tc[c] = figure(draw, v)
        if tc:
            party["territorial_ceiling"] = tc
    return parties


# ---- groups, zones, temporary deployments -----------------------------------------------------
def _groups(draw: st.DrawFn, ctx: _Ctx) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i in range(draw(st.integers(0, 3))):
        name = f"G{i + 1}"
        members = draw(st.lists(st.sampled_from(ctx.codes + list(out)), min_size=1, max_size=3,
                                unique=True))
        expanded = {p for m in members for p in ctx.groups.get(m, [m])}
        ctx.groups[name] = [p for p in ctx.codes if p in expanded]
        out[name] = {"members": members}
        if draw(st.booleans()):
            out[name]["name"] = f"group {i + 1}"
    return out


def _location_refs(ctx: _Ctx) -> list[str]:
    refs = list(ctx.with_territory)
    for p in ctx.with_territory:
        refs += [f"{p}.{a}" for a in ctx.areas.get(p, {})] + [f"{p}.main"]
    return refs + list(ctx.groups)


def _zones(draw: st.DrawFn, ctx: _Ctx) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i in range(draw(st.integers(0, 2))):
        name = f"Z{i + 1}"
        members = draw(st.lists(st.sampled_from(_location_refs(ctx) + list(out)), min_size=1,
                                max_size=4, unique=True))
        out[name] = {"members": members, "name": f"zone {i + 1}"}
        ctx.zones.append(name)
    return out


def _temporary_deployments(draw: st.DrawFn, ctx: _Ctx) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for name in ("BTD", "ETD")[:draw(st.integers(0, 2))]:
        candidates = [r for r in ctx.with_territory + list(ctx.groups)
                      if all(ctx.territory[p] for p in ctx.members(r))
                      and not taken & set(ctx.members(r))]
        if not candidates:
            break
        hosts = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=2, unique=True))
        chosen = {p for h in hosts for p in ctx.members(h)}
        if not chosen:
            continue
        taken |= chosen
        cats = draw(st.lists(st.sampled_from(GROUND), min_size=1, unique=True))
        entry: dict[str, Any] = {
            "hosts": hosts,
            "allowance": {c: figure(draw, draw(st.integers(0, ctx.big // 4))) for c in cats}}
        if draw(st.booleans()):
            entry["owner"] = "CFE"
        out[name] = entry
    ctx.td_hosts = taken
    return out


# ---- quantities ----------------------------------------------------------------------------------
TERM_KINDS = ("holdings", "national_ceiling", "reduction", "territorial_ceiling",
              "temporary_deployment", "equipment")


def _party_refs(draw: st.DrawFn, pool: list[str], max_size: int = 3) -> list[str]:
    return draw(st.lists(st.sampled_from(pool), min_size=1, max_size=max_size, unique=True))


def term(draw: st.DrawFn, ctx: _Ctx, kinds: tuple[str, ...] = TERM_KINDS,
         allow_areas: bool = True) -> dict[str, Any]:
    usable = [k for k in kinds if k != "temporary_deployment" or ctx.td_hosts]
    kind = draw(st.sampled_from(usable))
    t: dict[str, Any] = {"of": kind}
    territorial = kind in ("territorial_ceiling", "equipment", "temporary_deployment")
    refs = _category_refs(draw, ctx, ground_only=territorial)
    if refs is not None:
        t["categories"] = refs
    everyone = ctx.codes + list(ctx.groups)
    if kind in ("holdings", "national_ceiling", "reduction"):
        if draw(st.booleans()):
            t["parties"] = _party_refs(draw, everyone)
    elif kind == "territorial_ceiling":
        how = draw(st.sampled_from(["none", "parties", "areas"]))
        landed = [r for r in everyone if all(ctx.territory[p] for p in ctx.members(r))]
        if how == "areas" and allow_areas and ctx.subceiling_areas():
            t["areas"] = _party_refs(draw, ctx.subceiling_areas())
        elif how == "parties" and landed:
            t["parties"] = _party_refs(draw, landed)
    elif kind == "temporary_deployment":
        if draw(st.booleans()):
            hosting = [r for r in everyone if ctx.td_hosts & set(ctx.members(r))]
            t["parties"] = [draw(st.sampled_from(hosting))] + [
                r for r in _party_refs(draw, everyone, 2) if r not in hosting]
    else:  # equipment
        how = draw(st.sampled_from(["none", "parties", "areas"]))
        if how == "parties":
            t["parties"] = _party_refs(draw, everyone)
        elif how == "areas" and allow_areas:
            t["areas"] = _party_refs(draw, _location_refs(ctx) + ctx.zones)
        if draw(st.booleans()):
            t["owners"] = _party_refs(draw, everyone)
        status = draw(st.sampled_from(["any", "active", "storage", None]))
        if status is not None:
            t["status"] = status
    coefficient = draw(st.sampled_from(COEFFICIENTS))
    if coefficient != 1 or draw(st.booleans()):
        t["coefficient"] = coefficient
    return t


def quantity(draw: st.DrawFn, ctx: _Ctx, max_terms: int = 3, **kw: Any) -> dict[str, Any]:
    terms = [term(draw, ctx, **kw) for _ in range(draw(st.integers(1, max_terms)))]
    if len(terms) == 1 and draw(st.booleans()):
        return terms[0]
    return {"terms": terms}


def _terms_of(q: dict[str, Any]) -> list[dict[str, Any]]:
    return q.get("terms", [q])


# ---- limits ------------------------------------------------------------------------------------
def _limit_value(draw: st.DrawFn, ctx: _Ctx) -> int:
    return draw(st.integers(0, 3 * ctx.big) | st.integers(0, ctx.big // 3))


def sum_limit(draw: st.DrawFn, ctx: _Ctx) -> dict[str, Any]:
    q = quantity(draw, ctx)
    has_areas = any("areas" in t for t in _terms_of(q))
    per = draw(st.lists(st.sampled_from(["category"] if has_areas else ["party", "category"]),
                        unique=True))
    limit: dict[str, Any] = {"quantity": q, "sense": draw(st.sampled_from(ctx.senses))}
    if draw(st.booleans()):
        limit["type"] = "sum"
    if per or draw(st.booleans()):
        limit["per"] = per
    if "category" in per and draw(st.booleans()):
        limit["values"] = {c: figure(draw, _limit_value(draw, ctx)) for c in ctx.cats}
    else:
        limit["value"] = figure(draw, _limit_value(draw, ctx))
    return limit


_FIGURES = {"national_ceiling": "nc", "territorial_ceiling": "tc", "holdings": "holdings"}


def _has_figures(ctx: _Ctx, of: str, party: str, cats: list[str], positive: bool) -> bool:
    if of == "territorial_ceiling" and not ctx.territory[party]:
        return False
    figures = getattr(ctx, _FIGURES[of])
    return all((party, c) in figures and (not positive or figures[(party, c)] > 0)
               for c in cats)


def _eligible(ctx: _Ctx, of: str, cats: list[str], positive: bool = False) -> list[str]:
    return [r for r in ctx.codes + list(ctx.groups) if ctx.members(r) and all(
        _has_figures(ctx, of, p, cats, positive) for p in ctx.members(r))]


def freeze_limit(draw: st.DrawFn, ctx: _Ctx) -> dict[str, Any] | None:
    of = draw(st.sampled_from(["national_ceiling", "territorial_ceiling", "holdings"]))
    if of == "territorial_ceiling" and not ctx.ground:
        of = "holdings"
    refs = _category_refs(draw, ctx, ground_only=of == "territorial_ceiling")
    cats = _resolve_categories(ctx, refs, of == "territorial_ceiling")
    eligible = _eligible(ctx, of, cats)
    if not eligible and of != "territorial_ceiling":
        of, eligible = "holdings", _eligible(ctx, "holdings", cats)
    if not eligible:
        return None
    limit: dict[str, Any] = {"type": "freeze", "of": of,
                             "parties": _party_refs(draw, eligible)}
    if refs is not None:
        limit["categories"] = refs
    if of == "territorial_ceiling":
        frozen_areas = [
            f"{p}.{a}" for p in ctx.with_territory for a, area in ctx.areas[p].items()
            if all(c in area.get("territorial_subceiling", {}) for c in cats)]
        if frozen_areas and draw(st.booleans()):
            limit["areas"] = _party_refs(draw, frozen_areas, 2)
    return limit


def equal_treatment_limit(draw: st.DrawFn, ctx: _Ctx) -> dict[str, Any] | None:
    of = draw(st.sampled_from(["national_ceiling", "territorial_ceiling", "holdings"]))
    if of == "territorial_ceiling" and not ctx.ground:
        of = "holdings"
    refs = _category_refs(draw, ctx, ground_only=of == "territorial_ceiling")
    cats = _resolve_categories(ctx, refs, of == "territorial_ceiling")
    eligible = _eligible(ctx, of, cats, positive=True)
    if not eligible:
        return None
    limit: dict[str, Any] = {"type": "equal_treatment", "of": of,
                             "subject": _party_refs(draw, eligible, 2),
                             "reference": _party_refs(draw, eligible, 2)}
    if refs is not None:
        limit["categories"] = refs
    return limit


def _reciprocity_side(draw: st.DrawFn, ctx: _Ctx, share: bool) -> tuple[dict[str, Any], float]:
    """A quantity whose current value is known (and, for ``share``, computed here): every
    ceiling it sums has a current figure."""
    terms, now = [], 0.0
    for _ in range(draw(st.integers(1, 2))):
        kinds = ["holdings", "national_ceiling"]
        if ctx.ground:
            kinds.append("territorial_ceiling")
            if not share:
                kinds.append("equipment")
        kind = draw(st.sampled_from(kinds))
        if kind == "equipment":
            terms.append(term(draw, ctx, kinds=("equipment",)))
            continue
        territorial = kind == "territorial_ceiling"
        refs = _category_refs(draw, ctx, ground_only=territorial)
        cats = _resolve_categories(ctx, refs, territorial)
        t: dict[str, Any] = {"of": kind}
        how = draw(st.sampled_from(["parties", "all", "areas"]))
        areas = [f"{p}.{a}" for p in ctx.with_territory for a, area in ctx.areas[p].items()
                 if all(c in area.get("territorial_subceiling", {}) for c in cats)]
        everyone = [p for p in ctx.codes if ctx.territory[p] or not territorial]

        def fits(p: str, kind: str = kind, cats: list[str] = cats) -> bool:
            if kind == "national_ceiling":  # only the categories the party is modelled in
                return all((p, c) in ctx.nc for c in cats if c in ctx.held[p])
            if kind == "holdings":
                return True
            return ctx.territory[p] and all((p, c) in ctx.tc for c in cats)

        eligible = [r for r in ctx.codes + list(ctx.groups) if all(map(fits, ctx.members(r)))]
        if territorial and how == "areas" and areas:
            t["areas"] = _party_refs(draw, areas, 2)
            now_of = sum(_value(ctx.areas[p][a]["territorial_subceiling"][c])
                         for p, a in (r.split(".") for r in t["areas"]) for c in cats)
        else:
            if not eligible:
                kind, territorial, cats, t = "holdings", False, ctx.cats, {"of": "holdings"}
                refs, eligible = None, ctx.codes + list(ctx.groups)
            all_have = all(map(fits, everyone))
            if how != "all" or not all_have:
                t["parties"] = _party_refs(draw, eligible)
            parties = {p for r in t.get("parties", everyone) for p in ctx.members(r)}
            figures = getattr(ctx, _FIGURES[kind])
            now_of = sum(figures.get((p, c), 0) for p in parties for c in cats)
        if refs is not None:
            t["categories"] = refs
        coefficient = draw(st.sampled_from([1, 1, 2, 0.5] if share else COEFFICIENTS))
        if coefficient != 1:
            t["coefficient"] = coefficient
        now += coefficient * now_of
        terms.append(t)
    q = terms[0] if len(terms) == 1 and draw(st.booleans()) else {"terms": terms}
    return q, now


def reciprocity_limit(draw: st.DrawFn, ctx: _Ctx) -> dict[str, Any]:
    share = draw(st.booleans())
    subject, s_now = _reciprocity_side(draw, ctx, share)
    reference, r_now = _reciprocity_side(draw, ctx, share)
    limit: dict[str, Any] = {"type": "reciprocity", "subject": subject, "reference": reference}
    if share and s_now > 0 and r_now > 0:
        if draw(st.booleans()):
            limit["measure"] = "share"
    else:
        limit["measure"] = "absolute"
    ratio = draw(st.sampled_from([None, 0, 0.5, 1, 2, 1.5]))
    if ratio is not None:
        limit["ratio"] = ratio
    return limit


def limit(draw: st.DrawFn, ctx: _Ctx, red_line: bool = False) -> dict[str, Any] | None:
    kind = draw(st.sampled_from(ctx.limit_types))
    out = {"sum": sum_limit, "freeze": freeze_limit, "reciprocity": reciprocity_limit,
           "equal_treatment": equal_treatment_limit}[kind](draw, ctx)
    if out is None:
        return None
    if not red_line:
        owner = draw(st.sampled_from([None, *TREATY_OWNERS, *ctx.codes]))
        if owner is not None:
            out["owner"] = owner
    if _one_in(draw, 4):
        out["description"] = "a random limit"
    if _one_in(draw, 6):
        out.update(assumption=True, note="assumed")
    return out


# ---- positions ---------------------------------------------------------------------------------
def position(draw: st.DrawFn, ctx: _Ctx) -> dict[str, Any]:
    target = draw(st.integers(0, 2 * ctx.big) | st.sampled_from([0, -50, 12.5]))
    pos: dict[str, Any] = {
        "quantity": quantity(draw, ctx, max_terms=2),
        "direction": draw(st.sampled_from(["at_most", "at_least", "exactly"])),
        "target": target,
    }
    if draw(st.booleans()):
        rng: dict[str, Any] = {}
        if draw(st.booleans()):
            rng["min"] = target - draw(st.integers(0, ctx.big))
        if draw(st.booleans()):
            rng["max"] = target + draw(st.integers(0, ctx.big))
        pos["range"] = rng
    weight = draw(st.sampled_from([None, 1, 2, 0.5, 3]))
    if weight is not None:
        pos["weight"] = weight
    priority = draw(st.sampled_from([None, 1, 2, 3]))
    if priority is not None:
        pos["priority"] = priority
    scale = draw(st.sampled_from([None, None, None, 1, 10, 250.5]))
    if scale is not None:
        pos["scale"] = scale
    return pos


# ---- the scenario ------------------------------------------------------------------------------
@st.composite
def scenarios(draw: st.DrawFn, max_parties: int = 6, max_categories: int = 5,
              max_limits: int = 4, max_positions: int = 3, big: int = 1500,
              limit_types: tuple[str, ...] = LIMIT_TYPES,
              senses: tuple[str, ...] = SENSES) -> dict[str, Any]:
    """A random valid scenario (a dict for ``scenario_from_dict``).

    ``limit_types`` and ``senses`` are drawn from uniformly (repeat an entry to favour it).
    """
    data: dict[str, Any] = {"name": "random scenario"}
    if _one_in(draw, 8) and max_categories == 5:
        cats = list(ALL_CATEGORIES)  # default: the key is left out
    else:
        n = draw(st.integers(1, max_categories))
        cats = list(draw(st.permutations(ALL_CATEGORIES)))[:n]
        data["categories"] = cats
    ctx = _Ctx(cats=cats, big=big, limit_types=limit_types, senses=senses)
    if draw(st.booleans()):
        data["description"] = "drawn by hypothesis"
        data["sources"] = {"hc295": "House of Commons paper 295"}
    settings = {}
    if _one_in(draw, 5):
        settings["holdings_may_rise"] = True
    if _one_in(draw, 4):
        settings["tie_break"] = draw(st.sampled_from(["status_quo", "none"]))
    if settings:
        data["settings"] = settings
    data["parties"] = parties = _parties(draw, ctx, max_parties)
    groups = _groups(draw, ctx)
    if groups:
        data["groups"] = groups
    zones = _zones(draw, ctx)
    if zones:
        data["zones"] = zones
    tds = _temporary_deployments(draw, ctx)
    if tds:
        data["temporary_deployments"] = tds

    limits = {}
    for i in range(draw(st.integers(0, max_limits))):
        lim = limit(draw, ctx)
        if lim is not None:
            limits[f"limit{i}"] = lim
    if limits or draw(st.booleans()):
        data["limits"] = limits
    for code in ctx.codes:
        if _one_in(draw, 4):
            lim = limit(draw, ctx, red_line=True)
            if lim is not None:
                parties[code]["red_lines"] = {f"{code.lower()}_line": lim}
        n = draw(st.integers(0, max_positions))
        if n:
            parties[code]["positions"] = {f"pos{j}": position(draw, ctx) for j in range(n)}
    return without_empty_selections(data)


def without_empty_selections(data: dict[str, Any]) -> dict[str, Any]:
    """Drop the limits and positions whose quantity selects nothing in the scenario, or locates
    equipment on a party with no territory (cfe-opt refuses both: they would say nothing);
    what remains is a valid scenario."""
    from cfe_opt import scenario_from_dict
    from cfe_opt.errors import ScenarioErrors

    for _ in range(50):
        try:
            scenario_from_dict(data)
            return data
        except ScenarioErrors as exc:
            empty = [e.field for e in exc.errors
                     if "selects nothing" in e.reason or "for equipment, 'parties'" in e.reason]
            if not empty:
                raise
            for field in empty:
                parts = field.split(".")
                if parts[0] == "limits":
                    data["limits"].pop(parts[1], None)
                else:  # parties.P.red_lines.N… or parties.P.positions.N…
                    data["parties"][parts[1]].get(parts[2], {}).pop(parts[3], None)
    return data


def small_scenarios() -> st.SearchStrategy[dict[str, Any]]:
    """Small scenarios for the integer (MILP) tests."""
    return scenarios(max_parties=3, max_categories=2, max_limits=2, max_positions=2, big=200)


def tight_scenarios() -> st.SearchStrategy[dict[str, Any]]:
    """Scenarios with mostly sum limits, often ``>=`` (holdings cannot rise): often infeasible,
    and with concessions that can be mapped back to a figure of the scenario."""
    return scenarios(max_limits=4, max_positions=1,
                     limit_types=("sum", "sum", "sum", "sum", "freeze", "reciprocity",
                                  "equal_treatment"),
                     senses=("<=", ">=", ">=", "=="))
