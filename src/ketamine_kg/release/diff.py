"""Semantic diff of two releases: claims, terms, concepts, instances, mappings and edges.

Releases (`snapshot.load_snapshot`) are compared as RDF, resource by resource, never line
by line: re-ordering or re-serialising a release gives an empty diff. The result is one
JSON-ready document (`compare`), rendered by `changelog`; docs/releases.md describes it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ketamine_kg.release.directory import SSSOM
from ketamine_kg.release.snapshot import MAPPING_KEY, Props, Snapshot, Value
from ketamine_kg.vocab import KKO, RDF, RDFS, curie

FORMAT = "ketamine-kg-diff/1"

#: Sections of resources, in report order, with their Markdown headings.
SECTIONS = {
    "claims": "Claims",
    "terms": "Ontology terms",
    "concepts": "SKOS concepts and schemes",
    "instances": "Instances",
    "other": "Other resources",
}
#: What a safety statement is about, in the order its summary names them.
SAFETY_FIELDS = {
    "subject": (KKO.concernsProduct, KKO.concernsDrug),
    "about": (KKO.contraindicatedIn, KKO.adverseEvent, KKO.interactsWithClass, KKO.schedule),
    "section": (KKO.sourceSection,),
    "version": (KKO.sourceVersionDate,),
}
CLAIM_FIELDS = {
    "drug": KKO.drug,
    "condition": KKO.condition,
    "procedure": KKO.procedure,
    "status": KKO.useStatus,
    "jurisdiction": KKO.jurisdiction,
    "phase": KKO.researchPhase,
    "certainty": KKO.certainty,
}


def compare(old: Snapshot, new: Snapshot) -> dict[str, Any]:
    """The diff document from `old` to `new` (the structure documented in docs/releases.md)."""
    doc: dict[str, Any] = {
        "format": FORMAT,
        "old": _release(old),
        "new": _release(new),
        "notes": [],
    }
    for section in SECTIONS:
        doc[section] = {"added": [], "removed": [], "changed": []}
    for iri in sorted(old.units.keys() | new.units.keys()):
        before, after = old.units.get(iri), new.units.get(iri)
        if before is None and after is not None:
            doc[new.sections[iri]]["added"].append(_unit(iri, after, new, old))
        elif after is None and before is not None:
            doc[old.sections[iri]]["removed"].append(_unit(iri, before, old, new))
        elif before is not None and after is not None and before != after:
            doc[new.sections[iri]]["changed"].append(_changed(iri, before, after, old, new))
    doc["status_changes"] = _status_changes(old, new)
    doc["safety_changes"] = _safety_changes(old, new)
    doc["mappings"] = _mapping_diff(old, new, doc["notes"])
    doc["direct_edges"] = {
        "added": [_edge(e, new, old) for e in sorted(new.direct - old.direct)],
        "removed": [_edge(e, old, new) for e in sorted(old.direct - new.direct)],
    }
    doc["summary"] = {
        name: {kind: len(entries) for kind, entries in doc[name].items() if kind != "source"}
        for name in (*SECTIONS, "mappings", "direct_edges")
    }
    doc["summary"]["status_changes"] = len(doc["status_changes"])
    doc["summary"]["safety_changes"] = {k: len(v) for k, v in doc["safety_changes"].items()}
    doc["changed"] = old.header != new.header or has_semantic_changes(doc)
    return doc


def _counts(counts: int | dict[str, int]) -> list[int]:
    return list(counts.values()) if isinstance(counts, dict) else [counts]


def has_semantic_changes(doc: dict[str, Any]) -> bool:
    """Whether any claim, resource, mapping or edge differs (the release header aside)."""
    return any(n for counts in doc["summary"].values() for n in _counts(counts))


def _release(snap: Snapshot) -> dict[str, Any]:
    return {
        "source": snap.source,
        "commit": snap.commit,
        **snap.header,
        "triples": snap.triples,
        "mappings": len(snap.mappings) if snap.mappings is not None else None,
    }


def _json_value(value: Value, snap: Snapshot, other: Snapshot) -> dict[str, Any]:
    if value.kind == "iri":
        label = snap.labels.get(value.text) or other.labels.get(value.text)
        return {"type": "iri", "iri": value.text, "curie": curie(value.text), "label": label}
    if value.kind == "blank":
        return {"type": "blank", "value": value.text}
    return {
        "type": "literal",
        "value": value.text,
        "datatype": value.datatype or None,
        "language": value.language or None,
    }


def _values(values: frozenset[Value], snap: Snapshot, other: Snapshot) -> list[dict[str, Any]]:
    return [_json_value(v, snap, other) for v in sorted(values)]


def _claim(props: Props, snap: Snapshot, other: Snapshot) -> dict[str, Any]:
    return {
        name: _json_value(min(props[iri]), snap, other) if props.get(iri) else None
        for name, iri in CLAIM_FIELDS.items()
    }


def _unit(iri: str, props: Props, snap: Snapshot, other: Snapshot) -> dict[str, Any]:
    entry = {
        "iri": iri,
        "curie": curie(iri),
        "label": snap.labels.get(iri),
        "properties": {curie(p): _values(v, snap, other) for p, v in sorted(props.items())},
    }
    if snap.sections[iri] == "claims":
        entry["claim"] = _claim(props, snap, other)
    return entry


def _changed(iri: str, before: Props, after: Props, old: Snapshot, new: Snapshot) -> dict:
    empty: frozenset[Value] = frozenset()
    entry: dict[str, Any] = {
        "iri": iri,
        "curie": curie(iri),
        "label": new.labels.get(iri) or old.labels.get(iri),
        "changes": [
            {
                "property": p,
                "curie": curie(p),
                "label": new.labels.get(p) or old.labels.get(p),
                "old": _values(before.get(p, empty), old, new),
                "new": _values(after.get(p, empty), new, old),
            }
            for p in sorted(before.keys() | after.keys())
            if before.get(p, empty) != after.get(p, empty)
        ],
    }
    if new.sections[iri] == "claims":
        entry["claim"] = _claim(after, new, old)
    return entry


def _uses(snap: Snapshot) -> dict[tuple[Value, Value], dict[tuple, set[str]]]:
    """(drug, condition or procedure) -> (status, jurisdiction, phase, certainty) -> claims."""
    uses: dict[tuple[Value, Value], dict[tuple, set[str]]] = defaultdict(lambda: defaultdict(set))
    for iri, props in snap.units.items():
        if snap.sections[iri] != "claims":
            continue
        one = {name: min(props[p]) if props.get(p) else None for name, p in CLAIM_FIELDS.items()}
        target = one["condition"] or one["procedure"]
        if one["drug"] and target:
            use = (one["status"], one["jurisdiction"], one["phase"], one["certainty"])
            uses[(one["drug"], target)][use].add(iri)
    return uses


def _status_changes(old: Snapshot, new: Snapshot) -> list[dict[str, Any]]:
    """Uses (drug, condition or procedure) claimed in both releases whose set of (status,
    jurisdiction, research phase, certainty of evidence) differs: one claim's status or
    certainty changed, or claims were added or removed beside the existing ones.
    """
    before, after = _uses(old), _uses(new)
    changes = []
    for pair in sorted(before.keys() & after.keys()):
        if before[pair].keys() == after[pair].keys():
            continue
        claims = set().union(*before[pair].values(), *after[pair].values())
        changes.append(
            {
                "drug": _json_value(pair[0], new, old),
                "target": _json_value(pair[1], new, old),
                "old": _statuses(before[pair], old, new),
                "new": _statuses(after[pair], new, old),
                "claims": sorted(curie(c) for c in claims),
            }
        )
    return changes


def _statuses(uses: dict[tuple, set[str]], snap: Snapshot, other: Snapshot) -> list[dict]:
    def value(v: Value | None) -> dict[str, Any] | None:
        return _json_value(v, snap, other) if v is not None else None

    return [
        {
            "status": value(status),
            "jurisdiction": value(jurisdiction),
            "phase": value(phase),
            "certainty": value(certainty),
            "claims": sorted(curie(c) for c in uses[(status, jurisdiction, phase, certainty)]),
        }
        for status, jurisdiction, phase, certainty in sorted(
            uses, key=lambda u: tuple(v or () for v in u)
        )
    ]


def _safety_classes(*snaps: Snapshot) -> frozenset[str]:
    """The kinds of safety statement: subclasses of kko:SafetyStatement in the releases' own
    ontologies (docs/model.md, "Risks").
    """
    return frozenset(
        iri
        for snap in snaps
        for iri, props in snap.units.items()
        if any(v.text == KKO.SafetyStatement for v in props.get(RDFS.subClassOf, ()))
    )


def _safety_statements(snap: Snapshot, classes: frozenset[str]) -> dict[str, Props]:
    return {
        iri: props
        for iri, props in snap.units.items()
        if any(v.text in classes for v in props.get(RDF.type, ()))
    }


def _safety(
    iri: str, props: Props, snap: Snapshot, other: Snapshot, classes: frozenset[str]
) -> dict[str, Any]:
    """A safety statement's summary: its kind, what and whom it is about, section, version."""
    kind = min(v for v in props[RDF.type] if v.text in classes)
    entry: dict[str, Any] = {
        "curie": curie(iri),
        "label": snap.labels.get(iri),
        "kind": _json_value(kind, snap, other),
    }
    for name, predicates in SAFETY_FIELDS.items():
        values = sorted(v for p in predicates for v in props.get(p, ()))
        entry[name] = [_json_value(v, snap, other) for v in values]
    return entry


def _safety_changes(old: Snapshot, new: Snapshot) -> dict[str, list[dict[str, Any]]]:
    """Safety statements added, removed or changed (any property) between the releases."""
    classes = _safety_classes(old, new)
    before, after = _safety_statements(old, classes), _safety_statements(new, classes)
    changed = []
    for iri in sorted(before.keys() & after.keys()):
        if before[iri] != after[iri]:
            entry = _safety(iri, after[iri], new, old, classes)
            entry["properties"] = sorted(
                curie(p)
                for p in before[iri].keys() | after[iri].keys()
                if before[iri].get(p) != after[iri].get(p)
            )
            changed.append(entry)
    return {
        "added": [
            _safety(i, after[i], new, old, classes) for i in sorted(after.keys() - before.keys())
        ],
        "removed": [
            _safety(i, before[i], old, new, classes) for i in sorted(before.keys() - after.keys())
        ],
        "changed": changed,
    }


def _mapping_diff(old: Snapshot, new: Snapshot, notes: list[str]) -> dict[str, Any]:
    if old.mappings is not None and new.mappings is not None:
        source, before, after = "sssom", old.mappings, new.mappings
    else:
        lacking = " and ".join(
            side for side, snap in (("OLD", old), ("NEW", new)) if snap.mappings is None
        )
        notes.append(
            f"{lacking} has no {SSSOM}: mappings are compared on the mapping triples of the "
            "N-Quads (subject, predicate, object only)."
        )
        source, before, after = "graph", old.graph_mappings, new.graph_mappings

    def row(key: tuple[str, str, str], columns: dict[str, str]) -> dict[str, Any]:
        names = ("subject_label", "object_label")
        return {**dict(zip(MAPPING_KEY, key, strict=True)), **{n: columns.get(n) for n in names}}

    changed = []
    for key in sorted(before.keys() & after.keys()):
        columns = sorted(before[key].keys() | after[key].keys())
        diffs = {
            c: {"old": before[key].get(c, ""), "new": after[key].get(c, "")}
            for c in columns
            if before[key].get(c, "") != after[key].get(c, "")
        }
        if diffs:
            changed.append({**row(key, after[key]), "changes": diffs})
    return {
        "source": source,
        "added": [
            {**row(k, after[k]), "columns": after[k]} for k in sorted(after.keys() - before.keys())
        ],
        "removed": [
            {**row(k, before[k]), "columns": before[k]}
            for k in sorted(before.keys() - after.keys())
        ],
        "changed": changed,
    }


def _edge(edge: tuple[Value, Value, Value], snap: Snapshot, other: Snapshot) -> dict[str, Any]:
    return {
        name: _json_value(v, snap, other)
        for name, v in zip(("subject", "predicate", "object"), edge, strict=True)
    }
