"""Any other command's output set as a report: its tables and figures as written, what the
command was asked, its outcome, and the provenance from its run.json."""

from __future__ import annotations

from cfe_opt.reports.document import Document, Figure, Section, Table
from cfe_opt.reports.solve_set import provenance
from cfe_opt.reports.sources import ResultSet, read_table


def output_set_document(result: ResultSet) -> Document:
    record = result.record
    scenario = record.get("scenario") or {}
    files = sorted(record.get("files", {}))
    tables = [Table(name.rsplit(".", 1)[0], name, read_table(result, name, []))
              for name in files if name.endswith(".csv")]
    figures = [Figure(name, name, result.path(name).read_bytes())
               for name in files if name.endswith(".png")]
    outcome = record.get("outcome") or {}
    resolved = record.get("resolved") or {}
    narrative = [f"The output of cfe-opt {result.command} on "
                 f"{scenario.get('name') or scenario.get('file') or 'its scenario'}: "
                 f"{len(tables)} table{'s' if len(tables) != 1 else ''} and {len(figures)} "
                 f"figure{'s' if len(figures) != 1 else ''}."]
    if outcome:
        narrative.append("Outcome: " + ", ".join(f"{k} {v}" for k, v in sorted(
            outcome.items())) + ".")
    if resolved:
        narrative.append("As resolved: " + "; ".join(f"{k} = {v}" for k, v in sorted(
            resolved.items())) + ".")
    sections = []
    if figures:
        sections.append(Section("Figures", figures=figures))
    if tables:
        sections.append(Section("Tables", tables=tables))
    return Document(title=" ".join(str(scenario.get("name", "cfe-opt output")).split()),
                    subtitle=f"cfe-opt {result.command}", kind="output set",
                    narrative=narrative, sections=sections, assumptions=[],
                    provenance=provenance(result, None, "codes (as the tables give them)"),
                    created=str(record.get("written", "")))
