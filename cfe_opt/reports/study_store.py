"""A study store as a report: findings in sentences, each from a query over the store (listed
with its SQL, to rerun with ``cfe-opt study query``), the analyses of ``cfe-opt study
report`` (status, deviations, robustness, scenario discovery, sensitivity) as tables and
figures, and the provenance from the store's manifest and rows."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import pandas as pd

from cfe_opt.reports.document import Document, Figure, Section, Table, figure_png, percent
from cfe_opt.reports.sources import ReportError, StudyStore
from cfe_opt.text import fmt

DEFAULT_OUTCOME = "status = 'infeasible'"
STATUS_WORDS = {"optimal": "have a package that meets every hard limit",
                "infeasible": "have none",
                "invalid": "are invalid (a value the scenario refuses)",
                "not_solved": "were not solved (the solver stopped)",
                "error": "failed"}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


class _Findings:
    """Sentences and the query behind each."""

    def __init__(self, results: Any) -> None:
        self.results = results
        self.lines: list[str] = []
        self.queries: list[tuple[str, str]] = []

    def query(self, sql: str) -> pd.DataFrame:
        return self.results.sql(sql)

    def add(self, sentence: str, how: str) -> None:
        self.lines.append(sentence)
        self.queries.append((sentence, how))


def study_document(store: StudyStore, outcome: str = DEFAULT_OUTCOME, package: str = "base",
                   within: float = 0.05) -> Document:
    import cfe_opt.study
    from cfe_opt.study.report import build_report

    with cfe_opt.study.open(store.folder) as results:
        status = results.status()
        if status.done == 0:
            raise ReportError(f"{store.folder}: no variant has been evaluated yet (run the "
                              "study first)")
        manifest = results.manifest
        findings = _Findings(results)
        names = _party_names(results)
        _status_sentences(findings)
        parties = [c for c in results.columns if c.startswith("party_deviation.")]
        _deviation_sentences(findings, parties, names)
        analyses = build_report(results, outcome=outcome, package=package, within=within)
        _robustness_sentences(findings, analyses, within)
        _discovery_sentences(findings, analyses, outcome)
        _sensitivity_sentences(findings, analyses, names)
        versions = findings.query("SELECT DISTINCT cfe_opt_version, solver_version FROM "
                                  "variants ORDER BY ALL")
        assumptions = _assumptions(results)
    sections = _sections(analyses, outcome)
    notes = [line for line in analyses.lines if "skipped" in line]
    if notes:
        sections.append(Section("What this report leaves out, and why", notes))
    return Document(
        title=str(manifest.get("study", "cfe-opt study")),
        subtitle=f"cfe-opt study store · {status.done:,} of {status.variants:,} variants done",
        kind="study", narrative=findings.lines, sections=sections, assumptions=assumptions,
        provenance=_provenance(store, manifest, versions, status), queries=findings.queries)


def _status_sentences(findings: _Findings) -> None:
    sql = ("SELECT status, count(*) AS variants FROM variants GROUP BY status "
           "ORDER BY variants DESC, status")
    counts = findings.query(sql)
    total = int(counts["variants"].sum())
    parts = [f"{int(n):,} ({percent(n / total)}) {STATUS_WORDS.get(s, s)}"
             for s, n in zip(counts["status"], counts["variants"], strict=True)]
    findings.add(f"Of {total:,} variants, " + "; ".join(parts) + ".", sql)


def _party_names(results: Any) -> dict[str, str]:
    """The base scenario's party names, when the study still loads (else codes are shown)."""
    from cfe_opt.errors import CfeOptError

    try:
        spec = results.study().base.spec
    except CfeOptError:
        return {}
    names = {}
    for code, party in spec.parties.items():
        name = party.name or code
        names[code] = name[: name.rindex(" (")] if name.endswith(")") and " (" in name else name
    return names


def _deviation_sentences(findings: _Findings, parties: list[str], names: dict[str, str]
                         ) -> None:
    if not parties:
        return
    sql = ("SELECT " + ", ".join(f"avg({_quote(c)}) AS {_quote(c.split('.', 1)[1])}"
                                 for c in parties)
           + " FROM variants WHERE status = 'optimal'")
    means = findings.query(sql).iloc[0]
    means = means.dropna().astype(float).sort_values(ascending=False, kind="stable")
    if means.empty:
        return
    conceding = means[means > 1e-9]
    if conceding.empty:
        findings.add("Across the variants with a package, no party concedes anything.", sql)
        return
    named = [f"{names.get(p, p)} (mean deviation {fmt(float(v))})"
             for p, v in conceding.items()]
    rest = len(means) - len(conceding)
    text = (f"Across the variants with a package, {named[0]} concedes most"
            + (f", then {', '.join(named[1:])}" if len(named) > 1 else "")
            + (f"; {rest} other part{'ies concede' if rest != 1 else 'y concedes'} nothing"
               if rest else "") + ".")
    findings.add(text, sql)


def _robustness_sentences(findings: _Findings, analyses: Any, within: float) -> None:
    summary = analyses.tables.get("robustness.csv")
    points = analyses.tables.get("robustness_points.csv")
    if summary is None or points is None:
        return
    label = summary.attrs.get("package", "the package")
    shares = dict(zip(summary.index.astype(str), summary["share"], strict=True))
    optimal = shares.get("optimal", math.nan)
    margin = within
    within = shares.get("within", math.nan)
    text = (f"In {percent(optimal)} of {len(points):,} sampled weightings {label} holds (it "
            f"stays optimal)")
    if not math.isnan(within):
        text += (f", and in {percent(within)} it is within {margin:.0%} of the optimum")
    findings.add(text + ".", "cfe_opt.study.robustness.robustness(store, package) over the "
                 "optimal variants (each variant's stored objective is its full re-solve)")


def box_condition(box: pd.DataFrame, numeric: set[str]) -> tuple[str, str]:
    """A PRIM box as words and as an SQL condition on ``variants``: a numeric axis as a range,
    a one-hot ``axis=value`` column as ``axis is (not) value``."""
    words, sql = [], []
    for name, row in box.iterrows():
        low, high = float(row["min"]), float(row["max"])
        if name in numeric:
            words.append(f"{name} is {fmt(low)}" if low == high else
                         f"{name} from {fmt(low)} to {fmt(high)}")
            sql.append(f"{_quote(name)} BETWEEN {low!r} AND {high!r}")
        elif "=" in str(name):
            axis, _, value = str(name).partition("=")
            if high < 1:
                words.append(f"{axis} is not {value}")
                sql.append(f"{_quote(axis)} IS DISTINCT FROM {_literal(value)}")
            elif low > 0:
                words.append(f"{axis} is {value}")
                sql.append(f"{_quote(axis)} = {_literal(value)}")
    return " and ".join(words), " AND ".join(sql)


def outcome_words(outcome: str) -> str:
    """The outcome of interest as a reader says it."""
    if " ".join(outcome.split()) == DEFAULT_OUTCOME:
        return "No deal (no package meets every hard limit)"
    return f"The outcome {outcome}"


def _discovery_sentences(findings: _Findings, analyses: Any, outcome: str) -> None:
    box = analyses.tables.get("prim_box.csv")
    if box is None:
        return
    design = findings.query("DESCRIBE design")
    numeric = {n for n, t in zip(design["column_name"], design["column_type"], strict=True)
               if t.upper() in ("DOUBLE", "BIGINT", "INTEGER", "FLOAT", "HUGEINT")}
    base_sql = f"SELECT avg(CASE WHEN ({outcome}) THEN 1 ELSE 0 END) AS share FROM variants"
    share = float(findings.query(base_sql)["share"].iloc[0])
    words, condition = box_condition(box, numeric)
    what = outcome_words(outcome)
    if not condition:
        findings.add(f"{what} occurs in {percent(share)} of the variants; no "
                     "box of the axes singles it out.", base_sql)
        return
    sql = (f"SELECT avg(CASE WHEN ({outcome}) THEN 1 ELSE 0 END) AS density, "
           f"count(*) FILTER (WHERE ({outcome})) / (SELECT count(*) FROM variants WHERE "
           f"({outcome})) AS coverage FROM variants WHERE {condition}")
    found = findings.query(sql).iloc[0]
    findings.add(f"{what} occurs in {percent(share)} of the variants; where "
                 f"{words}, it occurs in {percent(float(found['density']))} of them, and that "
                 f"box holds {percent(float(found['coverage']))} of all such variants (PRIM).",
                 sql)


def _sensitivity_sentences(findings: _Findings, analyses: Any, names: dict[str, str]
                           ) -> None:
    table = analyses.tables.get("sensitivity.csv")
    if table is None:
        return
    index = table.attrs.get("index") or "delta"
    if index not in table.columns:
        return
    for output, group in table.groupby(level="output", sort=False):
        top = group[index].astype(float).sort_values(ascending=False)
        if top.empty:
            continue
        axis = top.index[0][1]
        party = str(output).split(".", 1)[1]
        findings.add(f"The deviation of {names.get(party, party)} is most sensitive to "
                     f"{axis} ({index} {fmt(float(top.iloc[0]))}).",
                     f"cfe_opt.study.sensitivity.sensitivity(store, '{output}', "
                     f"'{table.attrs.get('method', '')}')")


def _frame(item: Any) -> pd.DataFrame | None:
    return item if isinstance(item, pd.DataFrame) else None


def _sections(analyses: Any, outcome: str) -> list[Section]:
    tables, figures = analyses.tables, analyses.figures

    def fig(name: str, caption: str) -> list[Figure]:
        ax = figures.get(name)
        return [Figure(name, caption, figure_png(ax.figure))] if ax is not None else []

    def tab(name: str, caption: str, percent: tuple[str, ...] = ()) -> list[Table]:
        frame = _frame(tables.get(name))
        if frame is None:
            return []
        return [Table(name.rsplit(".", 1)[0], caption, frame, percent)]

    out = [Section("How many variants have a package", [
        "Variants by objective mode and status, and where each status occurs over the "
        "study's first two axes."], tables=tab("status.csv", "Variants by status"),
        figures=fig("status_map.png", "Status of each variant"))]
    if "deviations.csv" in tables:
        out.append(Section("Who concedes what across the variants", [
            "Each party's deviation (weighted, normalised) across the variants with a "
            "package: mean and quantiles by objective mode."],
            tables=tab("deviations.csv", "Deviation by party"),
            figures=fig("deviations.png", "Deviation by party")))
    if "robustness.csv" in tables:
        out.append(Section("How robust the package is", [
            "The share of sampled variants under which the package stays optimal, stays "
            "within the margin of the optimum, and keeps each party within its acceptable "
            "ranges."], tables=tab("robustness.csv", "Robustness", ("share",)),
            figures=fig("robustness.png", "Robustness")))
    if "prim_box.csv" in tables:
        out.append(Section(f"Where {outcome_words(outcome).split(' (')[0].lower()} occurs", [
            "Scenario discovery: the PRIM box where the outcome is dense (coverage: the "
            "share of all such variants inside it; density: the share of the box's variants "
            f"with the outcome), and a CART tree's leaves, for {outcome}."],
            tables=tab("prim_box.csv", "PRIM box") + tab(
                "prim_trajectory.csv", "PRIM peeling trajectory", ("coverage", "density",
                                                                   "mass"))
            + tab("cart_leaves.csv", "CART leaves", ("share",)),
            figures=fig("prim_tradeoff.png", "PRIM trade-off") + fig("prim_box.png",
                                                                     "PRIM box")))
    if "sensitivity.csv" in tables:
        out.append(Section("What moves each party's concession", [
            "Sensitivity of each party's deviation to the sampled axes."],
            tables=tab("sensitivity.csv", "Sensitivity"),
            figures=fig("sensitivity.png", "Sensitivity")))
    return out


def _assumptions(results: Any) -> list[str]:
    from cfe_opt.errors import CfeOptError
    from cfe_opt.results import assumption_list

    try:
        study = results.study()
    except CfeOptError:
        return []
    return assumption_list(study.base)


def _provenance(store: StudyStore, manifest: dict[str, Any], versions: pd.DataFrame,
                status: Any) -> list[tuple[str, str]]:
    frame = manifest.get("frame", {})
    rows = [("Store", str(store.folder)),
            ("Study", str(manifest.get("study", ""))),
            ("Study file", str(manifest.get("study_file", ""))),
            ("Store format", str(manifest.get("format", ""))),
            ("Fingerprint", str(manifest.get("fingerprint", ""))),
            ("Base scenario sha256", str(frame.get("base_sha256", ""))),
            ("Design sha256", str(manifest.get("design_sha256", ""))),
            ("Design points", f"{manifest.get('design_points', '')}"),
            ("Variants done", f"{status.done:,} of {status.variants:,}"),
            ("Model version", str(frame.get("model_version", ""))),
            ("Solver", str(frame.get("solver", ""))),
            ("Kept", json.dumps(frame.get("keep", {}), sort_keys=True))]
    copy = store.folder / "study.yaml"
    if copy.is_file():
        rows.append(("study.yaml sha256", hashlib.sha256(copy.read_bytes()).hexdigest()))
    for cfe, solver in versions.itertuples(index=False, name=None):
        rows.append(("Rows computed by", f"cfe-opt {cfe}, {solver}"))
    rows.append(("Rerun", f"cfe-opt study run {manifest.get('study_file', 'STUDY')} --out "
                          f"{store.folder}"))
    return rows
