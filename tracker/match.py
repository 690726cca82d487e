"""Entity resolution across datasets: proposals a person reviews, and the merges they decide.

`propose` compares the entities of two or more dataset folders and writes candidate pairs,
each with a score and an explanation (which names met, whether birth dates, identifiers and
countries agree). Names are compared in `tracker.names` skeleton form (any script, Kazakh
letters, romanisation variants), with the parts sorted (so "Назарбаева Дарига" meets "Dariga
Nazarbayeva"), person titles dropped and company legal forms removed (rigour's org-type table
plus the Kazakh and Russian abbreviations it lacks in Latin script); rapidfuzz scores them.
Entities are compared only within blocks that share a rare name token, so it scales.

The decisions file is a CSV a reviewer edits: `decision` is `same`, `not_same` or `pending`.
Nothing merges without a `same` row; undoing a merge is changing the row. When a dataset folder
holds `decisions.csv`, `tracker.dataset.load` applies it through `apply_decisions`: the right
entity is merged into the left (relations re-pointed, names, identifiers and sources united,
the merge noted on the entity).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from tracker.dataset import Dataset, Entity
from tracker.exc import InvalidData, RowError
from tracker.names import skeleton

__all__ = [
    "DECISIONS",
    "COLUMNS",
    "Candidate",
    "name_key",
    "compare",
    "propose",
    "write_decisions",
    "read_decisions",
    "apply_decisions",
    "apply_folder_decisions",
]

DECISIONS = "decisions.csv"
COLUMNS = (
    "left_id",
    "right_id",
    "decision",
    "score",
    "explanation",
    "left_name",
    "right_name",
    "left_dataset",
    "right_dataset",
    "reviewer",
    "date",
    "note",
)
VERDICTS = ("same", "not_same", "pending")
ORG_KINDS = frozenset({"company", "financial_institution", "professional_firm", "trust_or_foundation", "organisation", "public_body"})
MACHINE = "tracker match"

# Legal forms that rigour's org-type table knows only in Cyrillic (or not at all), as they are
# written in Latin transliteration in Kazakh and Russian registers and in leak data.
_EXTRA_FORMS = re.compile(r"\b(too|ao|oao|zao|pao|ooo|tov|ip|kh|jsc|ojsc|cjsc|pjsc|llp|ltd|plc|llc|inc)\b")
_PERSON_TITLES = re.compile(r"\b(mr|mrs|ms|miss|dr|sir|dame|lord|lady|prof|hon|mister)\b")


@dataclass(frozen=True)
class Candidate:
    """One proposed pair with its score, verdict and reasons."""

    left_id: str
    right_id: str
    decision: str
    score: float
    explanation: str
    left_name: str = ""
    right_name: str = ""
    left_dataset: str = ""
    right_dataset: str = ""
    reviewer: str = ""
    date: str = ""
    note: str = ""


@lru_cache(maxsize=65536)
def name_key(name: str, org: bool) -> str:
    """A comparison key: skeleton words, titles or legal forms removed, sorted.

    Examples
    --------
    >>> name_key("Назарбаева Дарига", False) == name_key("Dariga Nazarbayeva", False)
    True
    >>> name_key("ТОО Казмунайгаз", True) == name_key("KazMunayGaz LLP", True)
    True
    """
    from rigour.names.org_types import remove_org_types

    text = name.casefold()
    if org:
        text = remove_org_types(text, replacement=" ")
    key = skeleton(text)
    key = _EXTRA_FORMS.sub(" ", key) if org else _PERSON_TITLES.sub(" ", key)
    words = sorted(w for w in key.split() if w)
    return " ".join(words) or skeleton(name)


def _keys(ent: Entity) -> list[str]:
    org = ent.kind in ORG_KINDS
    return list(dict.fromkeys(k for k in (name_key(n, org) for n in ent.names) if k))


def _group(kind: str) -> str:
    return "org" if kind in ORG_KINDS else kind


def _dates_agree(a: str, b: str) -> bool:
    # A partial date agrees with a fuller one that it is a prefix of ("1963-05" and "1963-05-07").
    return a.startswith(b) or b.startswith(a)


_NUMBER = re.compile(r"\d+")
# Words that many organisation names share and that tell none apart.
_GENERIC_ORG_WORDS = frozenset(
    """company national group holding holdings international investments investment bank trust foundation
    services management capital partners the of and joint stock corporation corp fund state""".split()
)
# A name pair whose numbers differ ("Property 3", "Property 1") or whose parts do not all meet
# ("Dariga Nazarbayeva", "Dinara Nazarbayeva") scores at most this: far below any threshold in
# use, so it is never proposed, however alike the rest of the names are.
DIFFERENT = 50.0
# Parents and subsidiaries compared as rivals of a pair, at most (bounds the cost on bulk data).
MAX_KIN = 100
# Two name parts meet at this rapidfuzz ratio or above (transliteration variants: 80-95).
PART_MATCH = 80.0


def name_score(lk: str, rk: str, org: bool) -> tuple[float, str]:
    """Score two name keys (0-100) and say what, if anything, caps the score.

    Examples
    --------
    >>> name_score(name_key("NCA v Baker Property 3", True), name_key("NCA v Baker Property 1", True), True)
    (50.0, 'numbers differ (3 vs 1)')
    >>> name_score(name_key("Dariga Nazarbayeva", False), name_key("Dinara Nazarbayeva", False), False)
    (50.0, 'name parts differ (dariga vs dinara)')
    >>> name_score(name_key("Timur Kulibayev", False), name_key("Kulibaev Timur Askarovich", False), False)[0] >= 85
    True
    """
    from rapidfuzz import fuzz

    if lk == rk:
        return 100.0, ""
    score = float(fuzz.token_sort_ratio(lk, rk))
    ln, rn = set(_NUMBER.findall(lk)), set(_NUMBER.findall(rk))
    if ln and rn and ln != rn:
        return min(score, DIFFERENT), f"numbers differ ({' '.join(sorted(ln))} vs {' '.join(sorted(rn))})"
    short, long = sorted((lk.split(), rk.split()), key=len)
    if org:  # the words that tell one company from another, not "national company"
        short = [w for w in short if w not in _GENERIC_ORG_WORDS] or short
    parts = []
    for part in short:
        best = max((fuzz.ratio(_spelling(part), _spelling(other)) for other in long), default=0.0)
        if best < PART_MATCH and len(part) > 1:
            other = max(long, key=lambda o: fuzz.ratio(part, o))
            return min(score, DIFFERENT), f"name parts differ ({part} vs {other})"
        parts.append(best)
    extra = len(long) - len(short)
    if not org and len(parts) >= 2 and extra <= 1 and not (ln or rn):
        # Every part of the shorter name meets one of the longer, which has at most one part more
        # (a patronymic) and no number: the score of the parts, not of the whole strings.
        score = max(score, round(sum(parts) / len(parts), 1))
    return score, ""


def _spelling(part: str) -> str:
    # Romanisations of one name part that the skeleton keeps apart: Alpha/Alfa, Philipp/Filipp.
    return part.replace("ph", "f")


def _best_name(left: Entity, right: Entity) -> tuple[float, tuple[str, str], str]:
    """The best name score over every name and alias pair, the pair, and what capped it."""
    org = left.kind in ORG_KINDS
    best, pair, why = -1.0, ("", ""), ""
    for ln in left.names:
        lk = name_key(ln, org)
        for rn in right.names:
            score, capped = name_score(lk, name_key(rn, org), org)
            if score > best:
                best, pair, why = score, (ln, rn), capped
    return max(best, 0.0), pair, why


def compare(left: Entity, right: Entity) -> tuple[float, str, bool]:
    """Score (0-100) two entities, explain it, and say whether a hard fact contradicts it.

    Examples
    --------
    >>> a = Entity("a", "person", "Назарбаева Дарига", "elite", birth_date="1963-05-07")
    >>> b = Entity("b", "person", "Dariga Nazarbayeva", "other", birth_date="1963")
    >>> compare(a, b)
    (100.0, 'names: Назарбаева Дарига ~ Dariga Nazarbayeva (100); birth dates agree (1963-05-07, 1963)', False)
    """
    best, pair, capped = _best_name(left, right)
    reasons = [f"names: {pair[0]} ~ {pair[1]} ({best:.0f}{'; ' + capped if capped else ''})"]
    conflict = False
    score = best
    shared = sorted(set(left.identifiers) & set(right.identifiers))
    if shared:
        score = 100.0
        reasons.append(f"same identifier {shared[0]}")
    else:
        schemes_l = {i.split(":", 1)[0]: i for i in left.identifiers if ":" in i}
        schemes_r = {i.split(":", 1)[0]: i for i in right.identifiers if ":" in i}
        clash = sorted(s for s in set(schemes_l) & set(schemes_r) if s not in {"id", "tax", "reg"})
        if clash:
            conflict = True
            reasons.append(f"different {clash[0]} identifiers ({schemes_l[clash[0]]} vs {schemes_r[clash[0]]})")
    if left.birth_date and right.birth_date:
        if _dates_agree(left.birth_date, right.birth_date):
            score = min(100.0, score + 5)
            reasons.append(f"birth dates agree ({left.birth_date}, {right.birth_date})")
        else:
            conflict = True
            reasons.append(f"birth dates differ ({left.birth_date} vs {right.birth_date})")
    if left.country and right.country:
        if left.country == right.country:
            score = min(100.0, score + 3)
            reasons.append(f"same country {left.country}")
        else:
            score -= 10
            reasons.append(f"different countries ({left.country} vs {right.country})")
    if conflict:
        score = min(score, 50.0)
    elif shared:
        score = 100.0  # a shared registration number outweighs spelling and seat differences
    return round(max(score, 0.0), 1), "; ".join(reasons), conflict


def _blocks(entities: Iterable[Entity], max_block: int) -> dict[tuple[str, str], list[str]]:
    index: dict[tuple[str, str], list[str]] = defaultdict(list)
    for ent in entities:
        if ent.kind == "jurisdiction" or ent.placeholder:
            continue
        tokens = {w for k in _keys(ent) for w in k.split() if len(w) >= 3}
        for t in tokens:
            index[(_group(ent.kind), t)].append(ent.id)
    return {k: v for k, v in index.items() if len(v) <= max_block}


def _raw_keys(ent: Entity) -> set[str]:
    # The names as written (skeleton, parts sorted), legal forms kept: "KMG EP" stays "ep kmg".
    return {" ".join(sorted(skeleton(n.casefold()).split())) for n in ent.names} - {""}


class _Context:
    """What one dataset already says that bears on a match: whose name, identifier and holdings."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self.by_name: dict[str, set[str]] = defaultdict(set)
        self.by_identifier: dict[str, set[str]] = defaultdict(set)
        for ent in ds.entities.values():
            if ent.kind == "jurisdiction":
                continue
            for key in _raw_keys(ent):
                self.by_name[key].add(ent.id)
            for ident in ent.identifiers:
                self.by_identifier[ident].add(ent.id)
        from tracker.model import load_model

        owning = {k for k, kind in load_model().relation_kinds.items() if kind.ownership}
        self.linked: dict[str, set[str]] = defaultdict(set)  # parent <-> subsidiary, either way
        for rel in ds.relations.values():
            if rel.kind in owning and rel.source != rel.target:
                self.linked[rel.source].add(rel.target)
                self.linked[rel.target].add(rel.source)


def _rival(left: Entity, right: Entity, left_ctx: _Context, right_ctx: _Context, score: float) -> str:
    """Why the data says `right` is another entity than `left` (or "" when it does not).

    - `right`'s identifier belongs to another entity of `left`'s dataset;
    - one of `right`'s names, as written, is the name of another entity of `left`'s dataset
      and none of `left`'s ("KMG EP" is KazMunaiGas EP's name, not KazMunayGas's);
    - an entity that owns or is owned by `left` (a parent or subsidiary) matches `right` at
      least as well: the pair is likely the group, not the entity. And the same from the right.
    """
    for ident in right.identifiers:
        others = sorted(left_ctx.by_identifier.get(ident, set()) - {left.id})
        if others and ident not in left.identifiers:
            return f"identifier {ident} belongs to {others[0]}"
    right_keys, left_keys = _raw_keys(right), _raw_keys(left)
    if right_keys & left_keys:
        return ""  # one name as written on both sides: the data's own spelling, not a near miss
    for key in sorted(right_keys):
        others = sorted(left_ctx.by_name.get(key, set()) - {left.id})
        if others:
            return f"the name {key!r} is that of {others[0]}, a different entity"
    for key in sorted(left_keys):
        others = sorted(right_ctx.by_name.get(key, set()) - {right.id})
        if others:
            return f"the name {key!r} is that of {others[0]}, a different entity"
    for ctx, mine, theirs, flip in ((left_ctx, left, right, False), (right_ctx, right, left, True)):
        kins = ctx.linked.get(mine.id, set())
        if len(kins) > MAX_KIN:
            continue  # a holder of hundreds of companies: its holdings are no one name's rivals
        for kin in sorted(kins):
            other = ctx.ds.entities.get(kin)
            if other is None or kin == theirs.id:
                continue
            kin_score = compare(theirs, other)[0] if flip else compare(other, theirs)[0]
            if kin_score >= score:
                return f"{kin}, held by or holding {mine.id}, matches at least as well ({kin_score:g})"
    return ""


def _per_folder(roots: list[Path]) -> list[Dataset]:
    """Each folder's entities and relations, validated; read together when one needs another.

    A folder imported with `--base` refers to the base folders' jurisdictions and does not load
    on its own: then the folders are loaded as one (applying their reviewed decisions) and split
    by the dataset each record came from.
    """
    from tracker.dataset import load

    try:
        return [load([r]) for r in roots]
    except InvalidData:
        combined = load(roots)  # raises the real error when it is not a missing base
    if len(set(combined.names)) != len(combined.names):
        raise InvalidData(f"the folders share a dataset name ({', '.join(combined.names)}); give each its own name to match them")
    return [
        replace(
            combined,
            roots=[root],
            names=[name],
            entities={k: e for k, e in combined.entities.items() if e.dataset == name},
            relations={k: r for k, r in combined.relations.items() if r.dataset == name},
        )
        for root, name in zip(combined.roots, combined.names)
    ]


def propose(roots: Sequence[Path], threshold: float = 85.0, max_block: int = 2000) -> list[Candidate]:
    """Candidate pairs across the dataset folders `roots`, best first, merged with kept decisions.

    Every pair of folders is compared (first against later ones). Pairs whose name score reaches
    `threshold` are proposed as `pending`; those a birth date or identifier contradicts are
    written as `not_same` by `tracker match` so a reviewer sees why they were not proposed.
    Decisions already in a `decisions.csv` of any folder are kept as they are.
    """
    datasets = _per_folder([Path(r) for r in roots])
    kept = {}
    for root in roots:
        path = Path(root) / DECISIONS
        if path.is_file():
            for _, c in read_decisions(path):
                kept[(c.left_id, c.right_id)] = c
    out: dict[tuple[str, str], Candidate] = {}
    for i, left_ds in enumerate(datasets):
        left_ctx = _Context(left_ds)
        for right_ds in datasets[i + 1 :]:
            right_blocks = _blocks(right_ds.entities.values(), max_block)
            right_ctx = _Context(right_ds)
            for left in sorted(left_ds.entities.values(), key=lambda e: e.id):
                if left.kind == "jurisdiction" or left.placeholder:
                    continue
                cands: set[str] = set()
                for key in _keys(left):
                    for t in key.split():
                        cands.update(right_blocks.get((_group(left.kind), t), ()))
                for rid in sorted(cands):
                    right = right_ds.entities[rid]
                    if rid == left.id:
                        continue
                    score, why, conflict = compare(left, right)
                    if not conflict and score < threshold:
                        continue
                    if conflict and _best_name(left, right)[0] < threshold:
                        continue
                    rival = _rival(left, right, left_ctx, right_ctx, score)
                    if rival and not conflict:
                        if score >= threshold:
                            # Written as not proposed, with the reason, so a reviewer sees why.
                            conflict, why = True, f"{why}; {rival}"
                            score = min(score, DIFFERENT)
                        else:
                            continue
                    out[(left.id, rid)] = Candidate(
                        left.id,
                        rid,
                        "not_same" if conflict else "pending",
                        score,
                        why,
                        left.name,
                        right.name,
                        left.dataset,
                        right.dataset,
                        MACHINE if conflict else "",
                    )
    for pair, decided in kept.items():
        out[pair] = decided
    return sorted(out.values(), key=lambda c: (-c.score, c.left_id, c.right_id))


def _safe(text: str) -> str:
    # The decisions file is reviewed in a spreadsheet: the export's rule (formula starts, also
    # full-width and after blanks, tab and CR) keeps a hostile name from running as a formula.
    from tracker.export.common import safe_cell

    return safe_cell(text)


def write_decisions(rows: Sequence[Candidate], path: Path | None = None) -> str:
    """The decisions CSV as text; written atomically to `path` when given."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for c in rows:
        w.writerow([_safe(str(v)) if isinstance(v, str) else f"{v:g}" for v in (getattr(c, k) for k in COLUMNS)])
    text = buf.getvalue()
    if path is not None:
        from tracker.output import write_text

        write_text(path, text)
    return text


def read_decisions(path: Path) -> list[tuple[int, Candidate]]:
    """Read a decisions file strictly; `InvalidData` names the file, line and field of a fault."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidData(f"{name}: cannot read: {exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise InvalidData(f"{name}:1: malformed CSV: {exc}") from None
    for col in ("left_id", "right_id", "decision"):
        if col not in header:
            raise InvalidData(
                f"{name}:1: {col}: required column is missing", [RowError(name, 1, col, "missing-column", "required column is missing")]
            )
    out = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise InvalidData(f"{name}:{line}: has {len(cells)} cells, the header has {len(header)}")
            row = {k: v.strip() for k, v in zip(header, cells)}
            for col in ("left_id", "right_id"):
                if not row[col]:
                    raise InvalidData(f"{name}:{line}: {col}: is empty", [RowError(name, line, col, "required", "is empty")])
            if row["decision"] not in VERDICTS:
                msg = f"{row['decision']!r} is not one of: {', '.join(VERDICTS)}"
                raise InvalidData(f"{name}:{line}: decision: {msg}", [RowError(name, line, "decision", "bad-decision", msg)])
            if row["left_id"] == row["right_id"]:
                raise InvalidData(f"{name}:{line}: right_id: same as left_id")
            try:
                score = float(row.get("score") or 0)
            except ValueError:
                raise InvalidData(f"{name}:{line}: score: {row['score']!r} is not a number") from None
            fields = {k: row.get(k, "") for k in COLUMNS if k not in {"score"}}
            out.append((line, Candidate(score=score, **fields)))
    except csv.Error as exc:
        raise InvalidData(f"{name}:{start}: malformed CSV: {exc}") from None
    return out


def _merge(left: Entity, right: Entity, note: str) -> Entity:
    def union(a: Iterable[str], b: Iterable[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*a, *b]))

    aliases = tuple(n for n in union(left.aliases, (right.name, *right.aliases)) if n != left.name)
    return replace(
        left,
        aliases=aliases,
        topics=union(left.topics, right.topics),
        identifiers=union(left.identifiers, right.identifiers),
        sources=union(left.sources, right.sources),
        country=left.country or right.country,
        birth_date=left.birth_date or right.birth_date,
        notes="; ".join(filter(None, [left.notes, note])),
    )


def apply_decisions(dataset: Dataset, path: Path) -> Dataset:
    """Merge, for every `same` row of the decisions file, the right entity into the left.

    Relations are re-pointed to the surviving entity (a relation that would link it to itself
    is dropped); names, identifiers, topics and sources are united; the entity's notes record
    the merge and the file line. Rows naming an entity that is not loaded are skipped with a
    warning, so a folder's decisions do not stop it loading on its own.
    """
    from tracker.model import load_model

    rows = read_decisions(path)
    entities = dict(dataset.entities)
    relations = dict(dataset.relations)
    warnings = list(dataset.warnings)
    alias: dict[str, str] = {}

    def find(x: str) -> str:
        while x in alias:
            x = alias[x]
        return x

    for line, c in rows:
        if c.decision != "same":
            continue
        left, right = find(c.left_id), find(c.right_id)
        missing = [x for x in (c.left_id, c.right_id) if x not in dataset.entities]
        if missing:
            warnings.append(
                RowError(
                    path.name,
                    line,
                    "left_id" if missing[0] == c.left_id else "right_id",
                    "decision-skipped",
                    f"no entity {missing[0]!r} is loaded; the row is not applied",
                    "warning",
                )
            )
            continue
        if left == right:
            continue
        a, b = entities[left], entities[right]
        if _group(a.kind) != _group(b.kind):
            warnings.append(
                RowError(
                    path.name,
                    line,
                    "right_id",
                    "decision-skipped",
                    f"cannot merge a {b.kind} into a {a.kind}; the row is not applied",
                    "warning",
                )
            )
            continue
        who = f" by {c.reviewer}" if c.reviewer else ""
        entities[left] = _merge(a, b, f"merged {right} ({b.dataset or 'dataset'}: {b.name}){who} per {path.name}:{line}")
        del entities[right]
        alias[right] = left
    if not alias:
        return replace(dataset, warnings=warnings)
    model = load_model()
    for rid, rel in list(relations.items()):
        s, t = find(rel.source), find(rel.target)
        if (s, t) == (rel.source, rel.target):
            continue
        kind = model.relation_kinds[rel.kind]
        if s == t or not kind.allows(entities[s].kind, entities[t].kind):
            warnings.append(
                RowError(
                    path.name,
                    0,
                    "",
                    "relation-dropped",
                    f"relation {rid} would link {s} to itself or break its range after the merge",
                    "warning",
                )
            )
            del relations[rid]
            continue
        relations[rid] = replace(rel, source=s, target=t)
    import hashlib

    digest = hashlib.sha256((dataset.content_hash + "\0").encode() + path.read_bytes()).hexdigest()
    return replace(dataset, entities=entities, relations=relations, warnings=warnings, content_hash=digest)


def apply_folder_decisions(dataset: Dataset) -> Dataset:
    """Apply `decisions.csv` of every loaded folder that has one (in folder order)."""
    for root in dataset.roots:
        path = Path(root) / DECISIONS
        if path.is_file():
            dataset = apply_decisions(dataset, path)
    return dataset
