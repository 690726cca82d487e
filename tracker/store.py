"""The compiled store: dataset folders validated once and kept as Parquet, for queries at scale.

Reading and validating millions of CSV rows costs minutes (measured: 419 s before `tracker path`
could answer at 2M nodes), so the data is compiled once into a folder of Parquet tables that an
existing engine (DuckDB embedded, or Spark on a cluster: `tracker.backends`) queries directly:

- ``entities.parquet``: every entity field, plus ``idx`` (its position in id order) and
  ``degree`` (its relations, in and out, a self-loop twice: networkx's `degree` of the full graph,
  which the hub cap of every walk reads);
- ``relations.parquet``: every relation field, plus ``ridx``, the ``src``/``dst`` positions of
  its two entities and its kind's ``directed``/``ownership`` flags from the schema;
- ``adjacency.parquet``: ``(node, nbr, ridx)`` once per direction of every relation, sorted by
  ``node``: one scan answers "the neighbours of this frontier" for any walk;
- ``refs.parquet``: ``(ridx, ref)`` for each relation that answers another (`refers_to`);
- ``sources.parquet``; ``names.parquet``: ``(idx, name, key, token)`` per name and alias and
  each word of its skeleton, for search and resolution; ``words.parquet`` and
  ``vocabulary.parquet``: the same words sorted, with numbers only, and each word once
  (`tracker.words`: a search scores the names in the engine);
- ``manifest.json``: the store format, the tracker version, each input folder with each data
  file's size, modification time and SHA-256, the dataset's content hash and counts.

A store is *current* when every input file has the size and modification time the manifest
records, or failing that the same SHA-256 (a `touch` does not force a rebuild). Otherwise
`open_store` recompiles it and says so. Stores live under `store_root()` (``TRACKER_STORE`` or
the user's cache folder), one folder per list of input folders; deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from tracker.dataset import DESCRIPTOR, FILES, Dataset, Entity, Relation, Source, default_data_dir
from tracker.exc import TrackerError

__all__ = [
    "FORMAT",
    "Store",
    "StoreDataset",
    "compile_store",
    "open_store",
    "store_dir",
    "store_root",
    "fingerprint",
    "connect_duckdb",
]

FORMAT = "tracker-store/1"
MANIFEST = "manifest.json"
TABLES = ("entities", "relations", "adjacency", "refs", "sources", "names")
# Tables a store may lack (compiled before they existed): a reader checks, and answers without
# them (`tracker.words`: the same answers, slower), so adding one recompiles no store.
OPTIONAL_TABLES = ("words", "vocabulary")
# The data files of a dataset folder whose change makes a store stale.
DATA_FILES = (*FILES.values(), DESCRIPTOR, "decisions.csv")
# Rows per Parquet row group: small enough that a lookup by sorted key reads little, large
# enough that a scan stays fast (DuckDB reads row groups in parallel).
ROW_GROUP = 128 * 1024
# The tables a query reads a few scattered rows of (the records of an extract) have smaller
# groups: DuckDB decodes each group a wanted row falls in, and at 2M a point read of 10 entities
# took 159 ms of CPU with 128k-row groups and 66 ms with 16k (sources 247 -> 82 ms; files about
# a quarter larger). The walks scan adjacency whole, and keep the large groups.
POINT_ROW_GROUP = 16 * 1024
POINT_READ_TABLES = frozenset({"entities", "relations", "sources"})


def row_group(path: Path) -> int:
    """Rows per row group of the store table written at `path` (by its file name)."""
    return POINT_ROW_GROUP if path.stem in POINT_READ_TABLES else ROW_GROUP


Say = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


# --- where stores live ------------------------------------------------------------------------


def store_root() -> Path:
    """The folder that holds every store: ``$TRACKER_STORE``, else the user's cache folder.

    The store is a cache of the data, never the data: it sits outside every dataset folder (an
    input is never written to) and can be deleted at any time; the next command rebuilds it.
    """
    env = os.environ.get("TRACKER_STORE")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache).expanduser() if cache else Path.home() / ".cache"
    return base / "tracker" / "store"


def connect_duckdb() -> Any:
    """An in-memory DuckDB connection that spills to the system's temp folder, never the working folder.

    DuckDB's spill folder for an in-memory database is ``.tmp`` in the current working folder:
    a build at 10M nodes wrote gigabytes there, in whatever folder the command was run from (an
    evidence folder, a synced one). `tempfile.gettempdir()` honours ``TMPDIR``, so a machine
    whose /tmp is small points it elsewhere. The folder is this connection's own (two processes,
    or two connections, never share one); DuckDB makes it on the first spill and deletes it when
    the connection closes (a killed process leaves it, under the temp folder).
    """
    import tempfile

    import duckdb

    con = duckdb.connect(":memory:")
    spill = Path(tempfile.gettempdir()) / f"tracker-duckdb-{os.getpid()}-{os.urandom(6).hex()}"
    con.execute("SET temp_directory = ?", [str(spill)])
    return con


def _folders(roots: Sequence[Path] | None) -> list[Path]:
    return [Path(r).resolve() for r in roots] if roots else [default_data_dir().resolve()]


def store_dir(roots: Sequence[Path] | None) -> Path:
    """The store folder of these input folders (their order matters: the first definition wins)."""
    folders = _folders(roots)
    key = hashlib.sha256("\0".join(str(f) for f in folders).encode()).hexdigest()[:16]
    label = "+".join(f.name for f in folders)[:60]
    safe = "".join(c if c.isalnum() or c in "-_+." else "_" for c in label) or "data"
    return store_root() / f"{safe}-{key}"


def code_signature() -> str:
    """What the store's layout depends on besides the data: the record fields and the schema file.

    A store compiled before a field was added, or before a relation kind changed its flags,
    is stale even if no input changed.
    """
    h = hashlib.sha256(FORMAT.encode())
    for cls in (Entity, Relation, Source):
        h.update(",".join(f"{f.name}:{f.type}" for f in fields(cls)).encode())
    h.update((Path(__file__).resolve().parent / "schema.yaml").read_bytes())
    return h.hexdigest()[:16]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fingerprint(roots: Sequence[Path] | None, hashes: bool = True) -> list[dict[str, Any]]:
    """Each input folder with each of its data files' size, modification time and SHA-256."""
    out = []
    for folder in _folders(roots):
        files: dict[str, Any] = {}
        for name in DATA_FILES:
            path = folder / name
            if path.is_file():
                st = path.stat()
                files[name] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": _sha256(path) if hashes else ""}
        out.append({"path": str(folder), "files": files})
    return out


def _changes(recorded: list[dict[str, Any]], roots: Sequence[Path] | None) -> tuple[list[str], bool]:
    """What changed since the manifest: (descriptions, whether only timestamps moved)."""
    folders = _folders(roots)
    if [r.get("path") for r in recorded] != [str(f) for f in folders]:
        return ["the input folders differ"], False
    changed: list[str] = []
    touched = False
    for rec, folder in zip(recorded, folders, strict=True):
        old = rec.get("files", {})
        present = {n for n in DATA_FILES if (folder / n).is_file()}
        for name in sorted(present | set(old)):
            path = folder / name
            if name not in present:
                changed.append(f"{folder.name}/{name} was removed")
                continue
            if name not in old:
                changed.append(f"{folder.name}/{name} is new")
                continue
            st = path.stat()
            if st.st_size == old[name]["size"] and st.st_mtime_ns == old[name]["mtime_ns"]:
                continue
            if st.st_size == old[name]["size"] and _sha256(path) == old[name]["sha256"]:
                touched = True  # same bytes, a new timestamp: still current
                continue
            changed.append(f"{folder.name}/{name} changed")
    return changed, touched and not changed


# --- the columns, derived from the dataset's records ------------------------------------------


def _arrow_type(annotation: Any) -> Any:
    import pyarrow as pa

    text = str(annotation)
    if text.startswith("tuple"):
        return pa.list_(pa.string())
    if "bool" in text:
        return pa.bool_()
    if "float" in text:
        return pa.float64()
    if "int" in text:
        return pa.int64()
    return pa.string()


def _record_schema(cls: type) -> list[tuple[str, Any]]:
    hints = typing.get_type_hints(cls)
    return [(f.name, _arrow_type(hints[f.name])) for f in fields(cls)]


def table_schema(table: str) -> Any:
    """The Parquet schema of one store table: the one definition both compiles write.

    Entities and relations carry every field of their record type (so a field added to
    `tracker.dataset` reaches the store) plus the positions and flags the queries read.
    """
    import pyarrow as pa

    i64, text, flag = pa.int64(), pa.string(), pa.bool_()
    fields_of: dict[str, list[tuple[str, Any]]] = {
        "entities": [("idx", i64), *_record_schema(Entity), ("degree", i64)],
        "relations": [("ridx", i64), *_record_schema(Relation), ("src", i64), ("dst", i64), ("directed", flag), ("ownership", flag)],
        "adjacency": [("node", i64), ("nbr", i64), ("ridx", i64)],
        "refs": [("ridx", i64), ("ref", i64)],
        "sources": _record_schema(Source),
        "names": [("idx", i64), ("name", text), ("key", text), ("fold", text), ("token", text)],
    }
    return pa.schema(fields_of[table])


def _columns(records: Sequence[Any], cls: type) -> dict[str, list[Any]]:
    """Column lists of a record type's fields, tuples as lists (Parquet lists)."""
    names = [f.name for f in fields(cls)]
    cols: dict[str, list[Any]] = {n: [] for n in names}
    for rec in records:
        for n in names:
            v = getattr(rec, n)
            cols[n].append(list(v) if isinstance(v, tuple) else v)
    return cols


def _records(table: Any, cls: type) -> list[Any]:
    """Records of a record type from an Arrow table of its columns (lists back to tuples)."""
    names = [f.name for f in fields(cls)]
    tuples = {n for n, t in _record_schema(cls) if str(t).startswith("list")}
    cols = {n: table.column(n).to_pylist() for n in names}
    out = []
    for i in range(table.num_rows):
        kw = {}
        for n in names:
            v = cols[n][i]
            kw[n] = tuple(v or ()) if n in tuples else v
        out.append(cls(**kw))
    return out


# --- compiling ----------------------------------------------------------------------------------


def _write_table(path: Path, columns: dict[str, Any], schema: Any) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(columns, schema=schema)
    pq.write_table(table, path, row_group_size=row_group(path), compression="zstd")


def compile_store(dataset: Dataset, dest: Path, roots: Sequence[Path] | None = None) -> Store:
    """Write `dataset` (already validated) as a store in `dest`, atomically; returns it.

    The tables are written into a temporary sibling folder that replaces `dest` at the end, so
    a killed compile leaves the previous store (or none) and never half of one.
    """
    import numpy as np

    from tracker import __version__
    from tracker.model import load_model
    from tracker.names import fold, skeleton

    model = load_model()
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        ids = sorted(dataset.entities)
        pos = {e: i for i, e in enumerate(ids)}
        ents = [dataset.entities[e] for e in ids]
        rids = sorted(dataset.relations)
        rels = [dataset.relations[r] for r in rids]
        rpos = {r: i for i, r in enumerate(rids)}
        src = np.fromiter((pos[r.source] for r in rels), dtype=np.int64, count=len(rels))
        dst = np.fromiter((pos[r.target] for r in rels), dtype=np.int64, count=len(rels))
        degree = np.bincount(np.concatenate([src, dst]), minlength=len(ids)).astype(np.int64)

        ecols: dict[str, Any] = {"idx": np.arange(len(ids), dtype=np.int64), **_columns(ents, Entity), "degree": degree}
        _write_table(tmp / "entities.parquet", ecols, table_schema("entities"))

        kinds = model.relation_kinds
        rcols: dict[str, Any] = {
            "ridx": np.arange(len(rels), dtype=np.int64),
            **_columns(rels, Relation),
            "src": src,
            "dst": dst,
            "directed": [kinds[r.kind].directed for r in rels],
            "ownership": [kinds[r.kind].ownership for r in rels],
        }
        _write_table(tmp / "relations.parquet", rcols, table_schema("relations"))

        ridx = np.arange(len(rels), dtype=np.int64)
        node = np.concatenate([src, dst])
        nbr = np.concatenate([dst, src])
        via = np.concatenate([ridx, ridx])
        order = np.lexsort((via, nbr, node))
        _write_table(tmp / "adjacency.parquet", {"node": node[order], "nbr": nbr[order], "ridx": via[order]}, table_schema("adjacency"))

        ref_from: list[int] = []
        ref_to: list[int] = []
        for r in rels:
            for ref in r.refers_to:
                if ref in rpos:
                    ref_from.append(rpos[r.id])
                    ref_to.append(rpos[ref])
        _write_table(tmp / "refs.parquet", {"ridx": ref_from, "ref": ref_to}, table_schema("refs"))

        sids = sorted(dataset.sources)
        scols = _columns([dataset.sources[s] for s in sids], Source)
        _write_table(tmp / "sources.parquet", scols, table_schema("sources"))

        n_idx: list[int] = []
        n_name: list[str] = []
        n_key: list[str] = []
        n_fold: list[str] = []
        n_token: list[str] = []
        for i, ent in enumerate(ents):
            for name in dict.fromkeys(ent.names):
                key = skeleton(name)
                if not key:
                    continue
                folded = fold(name)
                for token in dict.fromkeys(key.split()):
                    n_idx.append(i)
                    n_name.append(name)
                    n_key.append(key)
                    n_fold.append(folded)
                    n_token.append(token)
        _write_table(
            tmp / "names.parquet", {"idx": n_idx, "name": n_name, "key": n_key, "fold": n_fold, "token": n_token}, table_schema("names")
        )
        from tracker.words import write_words

        write_words(tmp)

        manifest = {
            "format": FORMAT,
            "tracker": __version__,
            "code": code_signature(),
            "inputs": fingerprint(roots if roots is not None else dataset.roots),
            "name": "+".join(dataset.names),
            "names": list(dataset.names),
            "content_hash": dataset.content_hash,
            "data_date": dataset.data_date,
            "entities": len(ents),
            "relations": len(rels),
            "sources": len(sids),
            "warnings": [str(w) for w in dataset.warnings],
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        if dest.exists():
            dest.rename(old)
        tmp.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Store(dest)


def open_store(roots: Sequence[Path] | None = None, say: Say = _quiet, dataset: Dataset | None = None) -> Store:
    """The current store of these folders, compiling it first when it is missing or stale.

    Compiling validates the data (`tracker.dataset.load`, which raises `InvalidData`), so a store
    only ever holds data that passed validation. `say` receives one line when the store is
    (re)compiled, and why. Pass `dataset` when it is already loaded, to compile without reading
    the folders again.
    """
    from tracker import __version__

    dest = store_dir(roots)
    manifest_path = dest / MANIFEST
    reason = "no store yet"
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        if manifest.get("format") != FORMAT or manifest.get("tracker") != __version__ or manifest.get("code") != code_signature():
            reason = "the store was written by another version"
        elif all((dest / f"{t}.parquet").is_file() for t in TABLES):
            changes, touched = _changes(manifest.get("inputs", []), roots)
            if not changes:
                if touched:  # refresh the recorded timestamps so the next check is a stat again
                    manifest["inputs"] = fingerprint(roots)
                    _write_manifest(dest, manifest)
                return Store(dest, manifest)
            reason = "; ".join(changes[:3]) + (f" and {len(changes) - 3} more" if len(changes) > 3 else "")
        else:
            reason = "the store is incomplete"
    if dataset is None:
        from tracker.dataset import load

        say(f"store: compiling {', '.join(str(f) for f in _folders(roots))} ({reason})")
        # >>> columnar fast path (tracker/compile.py, issue 12): large clean folders compile column
        # by column; it gives None for anything `load` would report (or small data), and then the
        # record path below runs exactly as before.
        from tracker.compile import fast_store

        fast = fast_store(roots, dest)
        if fast is not None:
            say(f"store: {fast.manifest['entities']} entities, {fast.manifest['relations']} relations in {dest}")
            return fast
        # <<< columnar fast path
        dataset = load(list(roots) if roots else None)
    else:
        say(f"store: compiling ({reason})")
    store = compile_store(dataset, dest, roots)
    say(f"store: {store.manifest['entities']} entities, {store.manifest['relations']} relations in {dest}")
    return store


def _write_manifest(dest: Path, manifest: dict[str, Any]) -> None:
    tmp = dest / f".{MANIFEST}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(dest / MANIFEST)


def clear_stores(roots: Sequence[Path] | None = None) -> list[Path]:
    """Delete the store of these folders (or, with none given, every store); returns what went."""
    targets = [store_dir(roots)] if roots is not None else sorted(p for p in store_root().glob("*") if p.is_dir())
    gone = []
    for path in targets:
        if (path / MANIFEST).is_file() or path.name.startswith("."):
            shutil.rmtree(path, ignore_errors=True)
            gone.append(path)
    return gone


# --- reading --------------------------------------------------------------------------------------


@dataclass
class StoreDataset(Dataset):
    """Part of a stored dataset, as a `Dataset`: what a query extracted, with the whole data's date.

    `data_date` is the date of the whole dataset (the newest source of all of it), so a view
    of a neighbourhood is stamped like a view of the whole graph.
    """

    whole_data_date: str = ""

    @property
    def data_date(self) -> str:
        return self.whole_data_date


class Store:
    """A compiled store folder: its manifest, its tables as paths, and records read back."""

    def __init__(self, root: Path, manifest: dict[str, Any] | None = None) -> None:
        self.root = Path(root)
        if manifest is None:
            try:
                manifest = json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise TrackerError(f"{self.root / MANIFEST}: not a readable store manifest ({exc})") from None
        self.manifest: dict[str, Any] = manifest
        self._arrays: dict[str, Any] = {}

    def path(self, table: str) -> Path:
        return self.root / f"{table}.parquet"

    @property
    def entity_count(self) -> int:
        return int(self.manifest.get("entities", 0))

    @property
    def relation_count(self) -> int:
        return int(self.manifest.get("relations", 0))

    def column(self, table: str, name: str) -> Any:
        """One column of a table as a numpy array (or an Arrow array for text), read once."""
        key = f"{table}.{name}"
        if key not in self._arrays:
            import pyarrow.parquet as pq

            col = pq.read_table(self.path(table), columns=[name]).column(name)
            try:
                self._arrays[key] = col.to_numpy()
            except Exception:  # noqa: BLE001 - text with nulls: keep the Arrow array
                self._arrays[key] = col
        return self._arrays[key]

    def ids(self) -> list[str]:
        """Every entity id, in store order (sorted): position = ``idx``."""
        return [str(x) for x in self.column("entities", "id")]

    @property
    def sql(self) -> Any:
        """A DuckDB connection with the store's tables as views: point reads without a full scan in Python."""
        con = self._arrays.get("sql")
        if con is None:
            con = connect_duckdb()
            # Before the views: creating one parses the file's footer, which the queries then
            # reuse instead of parsing it again (at 10M, 40-120 ms of CPU per command).
            con.execute("SET parquet_metadata_cache = true")
            for table in (*TABLES, *OPTIONAL_TABLES):
                if table in OPTIONAL_TABLES and not self.path(table).is_file():
                    continue  # a store compiled before the table existed: its readers fall back
                path = str(self.path(table)).replace("'", "''")
                con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")
            self._arrays["sql"] = con
        return con

    def close(self) -> None:
        """Close the DuckDB connection, if one was opened (the next `sql` opens another)."""
        con = self._arrays.pop("sql", None)
        if con is not None:
            con.close()

    def _select(self, sql: str, positions: Any) -> Any:
        """Run `sql`, which reads the table ``wanted(idx)`` of these positions; Arrow out."""
        import numpy as np

        values = np.unique(np.asarray(positions, dtype=np.int64)).tolist()
        return self._arrow(sql, "CREATE OR REPLACE TEMP TABLE wanted AS SELECT unnest(?::BIGINT[]) AS idx", values)

    def _arrow(self, sql: str, setup: str, values: list[Any]) -> Any:
        # A temporary table from a list parameter, not a registered Arrow table: registering
        # makes DuckDB import pandas, a second of every query command's start.
        con = self.sql
        con.execute(setup, [values])
        rel = con.sql(sql)
        return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()

    def ids_of(self, positions: Any) -> list[str]:
        """The ids of the entities at these positions, in the order given."""
        import numpy as np

        positions = np.asarray(positions, dtype=np.int64)
        if not len(positions):
            return []
        # Remembered: an extract asks for its core, its hubs and its distances' ids in turn,
        # and each read scans the id column.
        known: dict[int, str] = self._arrays.setdefault("ids", {})
        missing = [int(i) for i in np.unique(positions) if int(i) not in known]
        if missing:
            t = self._select("SELECT idx, id FROM entities WHERE idx IN (SELECT idx FROM wanted)", missing)
            known.update(zip(t.column("idx").to_pylist(), map(str, t.column("id").to_pylist()), strict=True))
        return [known[int(i)] for i in positions]

    def relation_ends(self, relations: Any) -> tuple[Any, Any, Any]:
        """``(src, dst, undirected)`` arrays of the relations at these positions, in position order."""
        import numpy as np

        if not len(np.asarray(relations)):
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0, dtype=bool)
        t = self._select("SELECT ridx, src, dst, directed FROM relations WHERE ridx IN (SELECT idx FROM wanted) ORDER BY ridx", relations)
        directed = t.column("directed").to_numpy(zero_copy_only=False).astype(bool)
        return t.column("src").to_numpy(), t.column("dst").to_numpy(), ~directed

    def walkable(self, hub_relations: int, not_traversed: Iterable[str]) -> Any:
        """A boolean array: which entities a walk may pass through (not a hub, not a place kind)."""
        import numpy as np

        key = f"walkable.{hub_relations}.{','.join(sorted(not_traversed))}"
        if key not in self._arrays:
            places = sorted(set(not_traversed))
            blocked = self.sql.execute(
                "SELECT idx FROM entities WHERE degree > ? OR list_contains(?, kind)", [int(hub_relations), places]
            ).fetchnumpy()["idx"]
            ok = np.ones(self.entity_count, dtype=bool)
            ok[np.asarray(blocked, dtype=np.int64)] = False
            self._arrays[key] = ok
        return self._arrays[key]

    def dataset(self, entities: Any, relations: Any) -> StoreDataset:
        """The entities and relations at these positions, with the sources they cite, as a dataset.

        `graph.build` of the result gives the same node and edge attributes as the whole
        graph gives for them (the `referred_by` of an edge lists the answering relations that
        are in the part, so a caller adds them: see `tracker.query.Extract`).
        """
        import numpy as np

        ents: list[Entity] = []
        rels: list[Relation] = []
        if len(np.asarray(entities)):
            ents = _records(self._select("SELECT * FROM entities WHERE idx IN (SELECT idx FROM wanted) ORDER BY idx", entities), Entity)
        if len(np.asarray(relations)):
            rels = _records(
                self._select("SELECT * FROM relations WHERE ridx IN (SELECT idx FROM wanted) ORDER BY ridx", relations), Relation
            )
        wanted = sorted({s for r in rels for s in r.sources} | {s for e in ents for s in e.sources})
        srcs: list[Source] = []
        if wanted:
            table = self._arrow(
                "SELECT * FROM sources WHERE id IN (SELECT id FROM wanted) ORDER BY id",
                "CREATE OR REPLACE TEMP TABLE wanted AS SELECT unnest(?::VARCHAR[]) AS id",
                wanted,
            )
            srcs = _records(table, Source)
        return self._as_dataset(ents, rels, srcs)

    def _as_dataset(self, ents: list[Entity], rels: list[Relation], srcs: list[Source]) -> StoreDataset:
        m = self.manifest
        return StoreDataset(
            roots=[Path(i["path"]) for i in m.get("inputs", [])],
            names=list(m.get("names", [])),
            entities={e.id: e for e in ents},
            relations={r.id: r for r in rels},
            sources={s.id: s for s in srcs},
            content_hash=str(m.get("content_hash", "")),
            whole_data_date=str(m.get("data_date", "")),
        )

    def whole(self) -> StoreDataset:
        """The whole stored dataset (for small data, where loading it all is the fast way)."""
        import pyarrow.parquet as pq

        return self._as_dataset(
            _records(pq.read_table(self.path("entities")), Entity),
            _records(pq.read_table(self.path("relations")), Relation),
            _records(pq.read_table(self.path("sources")), Source),
        )


class NodeTable:
    """The entities of a store as the few graph calls the metrics make of a graph's nodes.

    `tracker.metrics` reads a graph only for its size and each node's name, kind and sphere
    once the relations are in an `EdgeTable`; at millions of entities a networkx graph for
    that costs gigabytes, while these three columns cost tens of megabytes.
    """

    def __init__(self, store: Store) -> None:
        self._ids = store.ids()
        #: The ids in store order: an edge table given these same ids lets the metrics' tables
        #: read `node_column` instead of a dict per entity (`tracker.metrics._node_columns`).
        self.ids = self._ids
        self._pos = {e: i for i, e in enumerate(self._ids)}
        self._cols = {c: store.column("entities", c) for c in ("name", "kind", "sphere")}
        self.graph = {"name": store.manifest.get("name", ""), "content_hash": store.manifest.get("content_hash", "")}
        self.nodes = _NodeView(self)

    def node_column(self, name: str) -> list[str]:
        """`G.nodes[n][name]` of every entity in `ids` order (name, kind or sphere), as `nodes` gives it (text)."""
        col = self._cols[name]
        values = col.tolist() if hasattr(col, "tolist") else col.to_pylist()
        return [v if type(v) is str else str(v) for v in values]

    def number_of_nodes(self) -> int:
        return len(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, node: object) -> bool:
        return node in self._pos

    def __iter__(self) -> Any:
        return iter(self._ids)


class _NodeView:
    def __init__(self, table: NodeTable) -> None:
        self._t = table

    def __getitem__(self, node: str) -> dict[str, Any]:
        i = self._t._pos[node]
        return {c: str(col[i]) for c, col in self._t._cols.items()}

    def __iter__(self) -> Any:
        return iter(self._t._ids)

    def __len__(self) -> int:
        return len(self._t._ids)


def edge_table(store: Store, ids: list[Any] | None = None) -> Any:
    """The store's relations as the metrics' `EdgeTable`: Parquet columns to numpy, no graph.

    `ids` are the entity ids in store order when the caller holds them already (read from the
    store otherwise: about 300 MB of text at 2M entities), or what stands in for them where
    only their number is read (the build's metrics process, `tracker.pipeline`).
    """
    import numpy as np
    import pyarrow.parquet as pq

    from tracker.metrics import EdgeTable

    t = pq.read_table(store.path("relations"), columns=["src", "dst", "directed", "kind"])
    return EdgeTable(
        store.ids() if ids is None else ids,
        t.column("src").to_numpy().astype(np.int64),
        t.column("dst").to_numpy().astype(np.int64),
        ~t.column("directed").to_numpy(zero_copy_only=False).astype(bool),
        _labels(t.column("kind")),
        _labels(pq.read_table(store.path("entities"), columns=["kind"]).column("kind")),
    )


def _labels(column: Any) -> Any:
    """A text column as a numpy object array, converting each distinct value once."""
    import numpy as np

    encoded = column.combine_chunks().dictionary_encode()
    labels = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    return labels[encoded.indices.to_numpy(zero_copy_only=False)]
