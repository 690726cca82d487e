"""The data model: entity kinds, relation kinds, spheres and evidence statuses.

They live as data in `schema.yaml` beside this module (like FollowTheMoney's schema YAML) and are
loaded once into frozen dataclasses, so every part of the tool (validator, graph, views, exports)
reads one definition and a new kind is a change to one file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from tracker.exc import InvalidModel

__all__ = [
    "Sphere",
    "EvidenceStatus",
    "EntityKind",
    "RelationKind",
    "Model",
    "load_model",
]

ANY = "any"


@dataclass(frozen=True)
class Sphere:
    """One of the spheres of the mission (elite, company, london_finance, offshore, other)."""

    name: str
    label: str
    description: str


@dataclass(frozen=True)
class EvidenceStatus:
    """The kind of source a claim comes from; `rank` orders them, higher is stronger."""

    name: str
    label: str
    rank: int
    description: str


@dataclass(frozen=True)
class EntityKind:
    """A kind of entity, with its usual sphere and nearest FollowTheMoney schema."""

    name: str
    label: str
    ftm: str
    sphere: str
    description: str
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelationKind:
    """A kind of relation with its range: which entity kinds may stand at either end."""

    name: str
    label: str
    description: str
    directed: bool
    source: frozenset[str]
    target: frozenset[str]
    fields: frozenset[str]
    ftm: str | None = None
    ownership: bool = False
    # A statement about one entity (source and target are the same), e.g. a declared-unknown owner.
    statement: bool = False
    # False for relations that are not a tie between actors (an index ranking, a report about
    # someone, a denial answering a claim): centrality among actors leaves them out.
    tie: bool = True

    def allows(self, source_kind: str, target_kind: str) -> bool:
        """Whether a relation of this kind may run from `source_kind` to `target_kind`."""
        ok_source = ANY in self.source or source_kind in self.source
        ok_target = ANY in self.target or target_kind in self.target
        return ok_source and ok_target


@dataclass(frozen=True)
class Model:
    """The whole schema: look kinds up by name, list them in file order."""

    version: int
    spheres: dict[str, Sphere]
    evidence_statuses: dict[str, EvidenceStatus]
    entity_kinds: dict[str, EntityKind]
    relation_kinds: dict[str, RelationKind]
    relation_fields: dict[str, str] = field(default_factory=dict)
    disclaimer: str = ""

    def evidence_rank(self, status: str) -> int:
        """Rank of an evidence status; 0 for an unknown one."""
        found = self.evidence_statuses.get(status)
        return 0 if found is None else found.rank

    def to_dict(self) -> dict[str, Any]:
        """The model as plain data, for `tracker schema --json` and for the views."""

        def kind(k: RelationKind) -> dict[str, Any]:
            return {
                "label": k.label,
                "description": k.description,
                "directed": k.directed,
                "source": sorted(k.source),
                "target": sorted(k.target),
                "fields": sorted(k.fields),
                "ftm": k.ftm,
                "ownership": k.ownership,
                "statement": k.statement,
                "tie": k.tie,
            }

        return {
            "version": self.version,
            "disclaimer": self.disclaimer,
            "spheres": {n: {"label": s.label, "description": s.description} for n, s in self.spheres.items()},
            "evidence_statuses": {
                n: {"label": e.label, "rank": e.rank, "description": e.description} for n, e in self.evidence_statuses.items()
            },
            "entity_kinds": {
                n: {
                    "label": k.label,
                    "ftm": k.ftm,
                    "sphere": k.sphere,
                    "topics": list(k.topics),
                    "description": k.description,
                }
                for n, k in self.entity_kinds.items()
            },
            "relation_fields": dict(self.relation_fields),
            "relation_kinds": {n: kind(k) for n, k in self.relation_kinds.items()},
        }


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidModel(f"schema.yaml: {where} must be a non-empty string")
    return value.strip()


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise InvalidModel(f"schema.yaml: {where} must be a non-empty mapping")
    return value


def parse_model(data: Any) -> Model:
    """Check and convert the parsed YAML of a schema file into a `Model`.

    Raises `InvalidModel` naming the first malformed entry, so a typo in the schema fails at
    start-up rather than as a wrong colour in a view.
    """
    root = _mapping(data, "the file")
    version = root.get("version")
    if not isinstance(version, int):
        raise InvalidModel("schema.yaml: version must be an integer")

    spheres = {
        name: Sphere(name, _text(v.get("label"), f"spheres.{name}.label"), _text(v.get("description"), f"spheres.{name}.description"))
        for name, v in _mapping(root.get("spheres"), "spheres").items()
    }
    statuses: dict[str, EvidenceStatus] = {}
    for name, v in _mapping(root.get("evidence_statuses"), "evidence_statuses").items():
        rank = v.get("rank")
        if not isinstance(rank, int):
            raise InvalidModel(f"schema.yaml: evidence_statuses.{name}.rank must be an integer")
        statuses[name] = EvidenceStatus(
            name,
            _text(v.get("label"), f"evidence_statuses.{name}.label"),
            rank,
            _text(v.get("description"), f"evidence_statuses.{name}.description"),
        )

    entity_kinds: dict[str, EntityKind] = {}
    for name, v in _mapping(root.get("entity_kinds"), "entity_kinds").items():
        where = f"entity_kinds.{name}"
        sphere = _text(v.get("sphere"), f"{where}.sphere")
        if sphere not in spheres:
            raise InvalidModel(f"schema.yaml: {where}.sphere: unknown sphere {sphere!r}")
        entity_kinds[name] = EntityKind(
            name=name,
            label=_text(v.get("label"), f"{where}.label"),
            ftm=_text(v.get("ftm"), f"{where}.ftm"),
            sphere=sphere,
            description=_text(v.get("description"), f"{where}.description"),
            topics=tuple(v.get("topics") or ()),
        )

    fields = {k: _text(v, f"relation_fields.{k}") for k, v in _mapping(root.get("relation_fields"), "relation_fields").items()}

    relation_kinds: dict[str, RelationKind] = {}
    for name, v in _mapping(root.get("relation_kinds"), "relation_kinds").items():
        where = f"relation_kinds.{name}"
        ends: dict[str, frozenset[str]] = {}
        for end in ("source", "target"):
            raw = v.get(end)
            kinds = [raw] if raw == ANY else raw
            if not isinstance(kinds, list) or not kinds:
                raise InvalidModel(f"schema.yaml: {where}.{end} must be a list of entity kinds or 'any'")
            for k in kinds:
                if k != ANY and k not in entity_kinds:
                    raise InvalidModel(f"schema.yaml: {where}.{end}: unknown entity kind {k!r}")
            ends[end] = frozenset(kinds)
        kind_fields = v.get("fields") or []
        for f in kind_fields:
            if f not in fields:
                raise InvalidModel(f"schema.yaml: {where}.fields: unknown relation field {f!r}")
        directed = v.get("directed")
        if not isinstance(directed, bool):
            raise InvalidModel(f"schema.yaml: {where}.directed must be true or false")
        relation_kinds[name] = RelationKind(
            name=name,
            label=_text(v.get("label"), f"{where}.label"),
            description=_text(v.get("description"), f"{where}.description"),
            directed=directed,
            source=ends["source"],
            target=ends["target"],
            fields=frozenset(kind_fields),
            ftm=v.get("ftm"),
            ownership=bool(v.get("ownership", False)),
            statement=bool(v.get("statement", False)),
            tie=bool(v.get("tie", True)),
        )
    disclaimer = " ".join(_text(root.get("disclaimer"), "disclaimer").split())
    return Model(version, spheres, statuses, entity_kinds, relation_kinds, fields, disclaimer)


# `schema.yaml` parsed, beside it, with the SHA-256 of the YAML bytes it was made from (`load_model`).
SCHEMA_JSON = "schema.json"


@lru_cache(maxsize=1)
def load_model() -> Model:
    """Load the packaged `schema.yaml` (once per process).

    `schema.json` beside it holds the same mapping already parsed, with the SHA-256 of the YAML
    it was made from; when that matches, it is read instead: PyYAML's import is about 50 ms of
    CPU, a sixth of a whole `neighbours` on the store at 100k. A YAML edited since is read as
    YAML (same model, slower start) until `python -m tracker.model` rewrites the JSON;
    tests/test_startup.py fails while it is stale.
    """
    raw = resources.files("tracker").joinpath("schema.yaml").read_bytes()
    data = _parsed_schema(raw)
    if data is None:
        import yaml

        try:
            data = yaml.load(raw.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: fast
        except yaml.YAMLError as exc:
            raise InvalidModel(f"schema.yaml: not valid YAML: {exc}") from exc
    return parse_model(data)


def _parsed_schema(raw: bytes) -> Any:
    """The mapping `schema.json` holds, if it was made from these YAML bytes; else None."""
    try:
        cached = json.loads(resources.files("tracker").joinpath(SCHEMA_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(cached, dict) or cached.get("schema_sha256") != hashlib.sha256(raw).hexdigest():
        return None
    return cached.get("schema")


def schema_json_text() -> str:
    """What `schema.json` should hold for the packaged `schema.yaml`."""
    import yaml

    raw = resources.files("tracker").joinpath("schema.yaml").read_bytes()
    data = yaml.load(raw.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    note = "schema.yaml parsed, for a fast start; made by `python -m tracker.model`, read only while schema_sha256 matches"
    body = {"note": note, "schema_sha256": hashlib.sha256(raw).hexdigest(), "schema": data}
    return json.dumps(body, ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":  # rewrite schema.json after an edit of schema.yaml
    from pathlib import Path

    Path(__file__).with_name(SCHEMA_JSON).write_text(schema_json_text(), encoding="utf-8")
