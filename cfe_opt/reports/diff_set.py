"""A ``cfe-opt study diff`` set as a report section: what changed between two stores of one
study, in sentences (as the command wrote them), with its figure, its summary and the table of
every variant that changed, and both stores' fingerprints in the provenance."""

from __future__ import annotations

from cfe_opt.reports.document import Document, Figure, Section, Table
from cfe_opt.reports.solve_set import provenance
from cfe_opt.reports.sources import ResultSet, read_table


def diff_section(result: ResultSet) -> Section:
    """The comparison as one section (also for a report that holds more)."""
    record = result.record
    summary = read_table(result, "diff_summary.csv", ["what", "from", "to"])
    changed = read_table(result, "diff.csv", [])
    tolerance = (record.get("parameters") or {}).get("tolerance")
    return Section(
        "What changed between the two stores",
        [f"Variants matched by design point; an outcome counts as changed when it moved by "
         f"more than {tolerance:g} × max(1, |A|)." if isinstance(tolerance, float) else
         "Variants matched by design point."],
        tables=[Table("diff summary", "Variants by change and by status", summary),
                Table("diff", "Every variant that changed", changed)],
        figures=[Figure("diff.png", "What changed, and the objective in A against B",
                        result.path("diff.png").read_bytes())])


def diff_document(result: ResultSet) -> Document:
    record = result.record
    stores = (record.get("resolved") or {}).get("stores") or {}
    rows = []
    for label in ("A", "B"):
        store = stores.get(label) or {}
        for key in ("folder", "study", "fingerprint", "base_sha256", "design_sha256",
                    "study_yaml_sha256", "variants"):
            rows.append((f"Store {label}: {key.replace('_', ' ')}", str(store.get(key, ""))))
    study = (stores.get("A") or {}).get("study") or "study"
    return Document(
        title=f"{study}: what changed",
        subtitle="cfe-opt study diff · store A against store B",
        kind="output set",
        narrative=list((record.get("outcome") or {}).get("sentences") or []),
        sections=[diff_section(result)], assumptions=[],
        provenance=rows + provenance(result, None, "codes"),
        created=str(record.get("written", "")))
