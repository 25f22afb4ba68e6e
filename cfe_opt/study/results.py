"""Reading a study store: DuckDB views over its Parquet files, DataFrames, the canonical table.

    >>> import cfe_opt.study
    >>> results = cfe_opt.study.open("out/flank")
    >>> results.relation().filter("status = 'infeasible'").aggregate("count(*)")
    >>> results.df(columns=["rus_target", "party_deviation.RUS"], where="mode = 'weighted'")
    >>> results.sql('SELECT avg("party_deviation.RUS") FROM variants GROUP BY rus_target')

Views (one connection per ``StudyResults``):

- ``design``: one row per design point (point, sample, axis values, mode, key);
- ``outcomes``: one row per evaluated variant (the row schema of ``docs/studies.md``);
- ``variants``: the two joined on ``key`` — one row per design point that has its row.

Nothing is loaded until asked for: DuckDB reads only the columns and row groups a query needs,
so a notebook slices a million rows without holding them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cfe_opt.study.layout import RUN_COLUMNS, STATUSES
from cfe_opt.study.store import Store, StoreError, write_parquet_stream_atomic

EXPORT_ROWS = 65_536  # rows per row group of an exported table


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join(_sql_text(str(p)) for p in paths) + "]"


@dataclass
class Status:
    """Done/total by status, for ``cfe-opt study status``."""

    study: str
    design_points: int
    variants: int
    done: int
    by_status: Counter
    files: int
    duplicates: int

    def text(self) -> str:
        counts = ", ".join(f"{self.by_status[s]:,} {s}" for s in STATUSES if self.by_status[s])
        points = (f" ({self.design_points:,} design points)"
                  if self.design_points != self.variants else "")
        todo = self.variants - self.done
        tail = "complete" if todo == 0 else f"{todo:,} to go (run the study again to resume)"
        return (f"{self.study}: {self.done:,}/{self.variants:,} variants done{points}: "
                f"{counts or 'none yet'}; {tail}; {self.files:,} row files")


class StudyResults:
    """An opened study store."""

    def __init__(self, path: str | Path) -> None:
        import duckdb

        self.store = Store(path)
        self.manifest = self.store.manifest()
        self.files = self.store.scan().files
        self.design_path = self.store.root / "design.parquet"
        if not self.design_path.is_file():
            self.store.read_design()  # raises the clear error
        self.connection = duckdb.connect()
        self._views()

    def _views(self) -> None:
        con = self.connection
        con.execute(f"CREATE VIEW design AS SELECT * FROM read_parquet("
                    f"'{str(self.design_path).replace(chr(39), chr(39) * 2)}')")
        if self.files:
            con.execute(f"CREATE VIEW outcomes AS SELECT * FROM read_parquet("
                        f"{_sql_list(self.files)})")
        else:
            empty = self._empty_outcomes()
            con.register("_empty_outcomes", empty)
            con.execute("CREATE VIEW outcomes AS SELECT * FROM _empty_outcomes")
        design_columns = [r[0] for r in con.execute("DESCRIBE design").fetchall()]
        outcome_columns = [r[0] for r in con.execute("DESCRIBE outcomes").fetchall()]
        select = [f"d.{_quote(c)}" for c in design_columns]
        select += [f"o.{_quote(c)}" for c in outcome_columns if c not in ("key", "mode")]
        con.execute(f"CREATE VIEW variants AS SELECT {', '.join(select)} FROM design d "
                    "JOIN outcomes o ON d.key = o.key")
        self.columns = [c for c in design_columns] + [c for c in outcome_columns
                                                      if c not in ("key", "mode")]
        # a query reads the store and nothing else, and writes nothing: the views' files are
        # the only ones DuckDB may open, and the setting cannot be changed back
        allowed = [str(self.design_path), *map(str, self.files)]
        con.execute(f"SET allowed_paths = [{', '.join(_sql_text(p) for p in allowed)}]")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")

    def _empty_outcomes(self) -> pa.Table:
        columns = self.manifest.get("frame", {}).get("columns", [])
        fields = [pa.field(n, _type_from_text(t)) for n, t in columns]
        return pa.schema(fields).empty_table()

    def study(self) -> Any:
        """The study the store was made from (its copy of the study file, read afresh, with the
        base scenario it names); refused if the base has changed since."""
        from cfe_opt.study.load import load_study
        from cfe_opt.study.store import StoreError

        copy = self.store.root / "study.yaml"
        recorded = self.manifest.get("study_file")
        source = Path(recorded) if recorded and Path(recorded).is_file() else None
        if source is None or source.read_bytes() != copy.read_bytes():
            raise StoreError(f"{self.store.root}: the study file {recorded} is gone or has "
                             "changed since the run; run it again (or restore it) first")
        study = load_study(source)
        if study.base.sha256 != self.manifest.get("frame", {}).get("base_sha256"):
            raise StoreError(f"{self.store.root}: the base scenario {study.base.display} has "
                             "changed since the run")
        return study

    # ---- access ---------------------------------------------------------------------------
    def relation(self, view: str = "variants") -> Any:
        """A lazy DuckDB relation over a view (``variants``, ``design`` or ``outcomes``)."""
        if view not in ("variants", "design", "outcomes"):
            raise ValueError(f"unknown view {view!r}")
        return self.connection.table(view)

    def sql(self, query: str) -> Any:
        """Run a read-only query (SELECT, WITH, DESCRIBE, SUMMARIZE, EXPLAIN) over the views;
        a pandas DataFrame. Anything else — COPY, CREATE, DROP, ATTACH, SET… — is refused."""
        import duckdb

        statements = duckdb.extract_statements(query)
        if len(statements) != 1:
            raise StoreError(f"query: give one statement, not {len(statements)}")
        kind = statements[0].type
        if kind not in (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN):
            raise StoreError(f"query: only reading queries are run here (SELECT, WITH, "
                             f"DESCRIBE, SUMMARIZE, EXPLAIN), not {kind.name}")
        return self.connection.sql(query).df()

    def df(self, columns: list[str] | None = None, where: str | None = None) -> Any:
        """The variants as a DataFrame, in design order (optionally some columns / rows)."""
        cols = ", ".join(_quote(c) for c in columns) if columns else "*"
        clause = f" WHERE {where}" if where else ""
        return self.connection.sql(f"SELECT {cols} FROM variants{clause} ORDER BY point").df()

    def table(self, canonical: bool = True) -> pa.Table:
        """All variants as an Arrow table in design order; ``canonical`` drops the ``run.*``
        columns (how a row was computed: timings, evaluator), which differ between runs."""
        cols = [c for c in self.columns if not (canonical and c in RUN_COLUMNS)]
        query = f"SELECT {', '.join(_quote(c) for c in cols)} FROM variants ORDER BY point"
        table = self.connection.sql(query).arrow()
        if hasattr(table, "read_all"):  # a RecordBatchReader in some DuckDB versions
            table = table.read_all()
        return table.cast(self._schema(cols))  # DuckDB names list items "l": use Arrow's

    def _schema(self, columns: list[str]) -> pa.Schema:
        design = pq.read_schema(self.design_path)
        outcome = (pq.read_schema(self.files[0]) if self.files
                   else self._empty_outcomes().schema)
        fields = {f.name: f for f in outcome}
        fields.update({f.name: f for f in design})
        return pa.schema([fields[c].with_metadata(None) for c in columns])

    def write_canonical(self, path: str | Path, rows_per_group: int = EXPORT_ROWS) -> Path:
        """The canonical table as one Parquet file (byte-identical for the same study,
        whatever the workers, backend, chunking or interruptions), streamed from DuckDB in
        row groups of ``rows_per_group`` rows: a million-row store is never one table in
        memory."""
        cols = [c for c in self.columns if c not in RUN_COLUMNS]
        schema = self._schema(cols)
        query = f"SELECT {', '.join(_quote(c) for c in cols)} FROM variants ORDER BY point"

        def groups() -> Iterator[pa.Table]:
            relation = self.connection.sql(query)
            # DuckDB 2 names it to_arrow_reader; earlier versions fetch_arrow_reader
            stream = (getattr(relation, "to_arrow_reader", None)
                      or relation.fetch_arrow_reader)
            reader = stream(rows_per_group)
            held: list[pa.RecordBatch] = []
            count = 0
            for batch in reader:
                held.append(batch)
                count += batch.num_rows
                while count >= rows_per_group:  # exactly rows_per_group rows a group
                    table = pa.Table.from_batches(held)
                    yield table.slice(0, rows_per_group).cast(schema)
                    rest = table.slice(rows_per_group)
                    held, count = rest.to_batches(), rest.num_rows
            if count:
                yield pa.Table.from_batches(held, schema=held[0].schema).cast(schema)

        path = Path(path)
        write_parquet_stream_atomic(schema, groups, path)
        return path

    def status(self) -> Status:
        counts = self.connection.execute(
            "SELECT status, count(*) FROM outcomes WHERE key IN (SELECT key FROM design) "
            "GROUP BY status").fetchall()
        by_status = Counter({s: int(n) for s, n in counts})
        distinct = self.connection.execute("SELECT count(DISTINCT key), count(*) FROM outcomes"
                                           ).fetchall()[0]
        design = pq.read_metadata(self.design_path).num_rows
        variants = self.connection.execute(
            "SELECT count(DISTINCT key) FROM design").fetchall()[0][0]
        done = self.connection.execute(
            "SELECT count(DISTINCT o.key) FROM outcomes o JOIN design d ON o.key = d.key"
        ).fetchall()[0][0]
        return Status(study=str(self.manifest.get("study", "?")), design_points=design,
                      variants=int(variants), done=int(done), by_status=by_status,
                      files=len(self.files), duplicates=int(distinct[1] - distinct[0]))

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> StudyResults:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _type_from_text(text: str) -> pa.DataType:
    simple = {"string": pa.string(), "double": pa.float64(), "bool": pa.bool_(),
              "int64": pa.int64(), "list<item: string>": pa.list_(pa.string())}
    if text in simple:
        return simple[text]
    from cfe_opt.study.layout import CONCESSION_TYPE, CONFLICT_TYPE

    for candidate in (CONCESSION_TYPE, CONFLICT_TYPE):
        if str(candidate) == text:
            return candidate
    return pa.string()


def open_results(path: str | Path) -> StudyResults:
    """Open a study store for reading (``cfe_opt.study.open``)."""
    return StudyResults(path)
