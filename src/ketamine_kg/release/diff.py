"""Semantic diff of two releases: claims, terms, concepts, instances, mappings and edges.

A release is read from a directory (`ketamine-kg.nq`, `ketamine-kg.sssom.tsv`) or from the
`out/` committed at a git revision. Releases are compared as RDF, resource by resource, never
line by line: re-ordering or re-serialising a release gives an empty diff. The result is one
JSON-ready document (`compare`), rendered as Markdown or JSON; docs/releases.md describes it.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pyoxigraph as ox

from ketamine_kg.build.literals import canonical
from ketamine_kg.config import DERIVED_GRAPHS, GRAPH_BASE, SOURCE_GRAPHS
from ketamine_kg.errors import KetamineKgError
from ketamine_kg.vocab import COMMON_PREFIXES, ID, KKO, ONTOLOGY_IRI, VOCAB, curie

NQUADS_NAME = "ketamine-kg.nq"
SSSOM_NAME = "ketamine-kg.sssom.tsv"
FORMAT = "ketamine-kg-diff/1"

CLAIM_CLASS = KKO.NS + "TherapeuticUseClaim"
RDF_TYPE = COMMON_PREFIXES["rdf"] + "type"
OWL = COMMON_PREFIXES["owl"]
DCTERMS = COMMON_PREFIXES["dcterms"]
XSD_STRING = COMMON_PREFIXES["xsd"] + "string"
LANG_STRING = COMMON_PREFIXES["rdf"] + "langString"
LABEL_PROPERTIES = (COMMON_PREFIXES["rdfs"] + "label", COMMON_PREFIXES["skos"] + "prefLabel")
#: Ontology header properties reported in the release summary instead of as a term change.
HEADER_PROPERTIES = frozenset(
    {
        OWL + "versionInfo",
        OWL + "versionIRI",
        OWL + "priorVersion",
        DCTERMS + "issued",
        DCTERMS + "modified",
    }
)
#: Graphs whose triples are not described as resources: mappings and derived edges.
MAPPINGS_GRAPH, DIRECT_GRAPH = GRAPH_BASE + "mappings", GRAPH_BASE + "direct"
MAPPING_KEY = ("subject_id", "predicate_id", "object_id")

#: Sections of resources, in report order, with their Markdown headings.
SECTIONS = {
    "claims": "Claims",
    "terms": "Ontology terms",
    "concepts": "SKOS concepts and schemes",
    "instances": "Instances",
    "other": "Other resources",
}
CLAIM_FIELDS = {
    "drug": KKO.NS + "drug",
    "condition": KKO.NS + "condition",
    "procedure": KKO.NS + "procedure",
    "status": KKO.NS + "useStatus",
    "jurisdiction": KKO.NS + "jurisdiction",
    "phase": KKO.NS + "researchPhase",
}


class DiffError(KetamineKgError):
    """A release that could not be found or read."""


class Value(NamedTuple):
    """One RDF object, hashable: `text` is an IRI, a literal's lexical form or a blank node's
    canonical content."""

    kind: str  # "blank", "iri" or "literal"
    text: str
    datatype: str = ""  # literals other than plain and language-tagged strings
    language: str = ""


Props = dict[str, frozenset[Value]]
MappingRows = dict[tuple[str, str, str], dict[str, str]]


@dataclass(frozen=True)
class Snapshot:
    """The semantic units of one release."""

    source: str
    commit: str | None
    header: dict[str, str | None]  # version, issued, modified
    triples: dict[str, int]  # graph (role name or IRI) -> triple count
    units: dict[str, Props]  # subject IRI -> property IRI -> values
    sections: dict[str, str]  # subject IRI -> section name
    labels: dict[str, str]
    mappings: MappingRows | None  # SSSOM rows by key; None when the release has no SSSOM file
    graph_mappings: MappingRows  # the same keys from the mappings graph (no other columns)
    direct: frozenset[tuple[Value, Value, Value]]


# -- loading -------------------------------------------------------------------------------


def load_release(spec: str, repo: Path) -> Snapshot:
    """The release in directory `spec`, else the one committed under `out/` at revision `spec`
    of the git repository at `repo`."""
    path = Path(spec)
    if path.is_dir():
        if not (path / NQUADS_NAME).is_file():
            raise DiffError(f"{spec}: not a release directory ({NQUADS_NAME} is missing)")
        sssom = path / SSSOM_NAME
        text = _utf8(sssom.read_bytes(), f"{spec}/{SSSOM_NAME}") if sssom.is_file() else None
        return snapshot((path / NQUADS_NAME).read_bytes(), text, spec)
    commit = _resolve_revision(spec, repo)
    nquads = _git_show(repo, commit, NQUADS_NAME)
    if nquads is None:
        raise DiffError(
            f"revision {spec} ({commit[:12]}) has no committed release: "
            f"out/{NQUADS_NAME} is not in that commit"
        )
    sssom_bytes = _git_show(repo, commit, SSSOM_NAME)
    text = _utf8(sssom_bytes, f"{spec}:out/{SSSOM_NAME}") if sssom_bytes is not None else None
    return snapshot(nquads, text, spec, commit)


def _utf8(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DiffError(f"{source}: not UTF-8 (byte {exc.start})") from None


def _resolve_revision(spec: str, repo: Path) -> str:
    problem = f"{spec!r} is neither a directory nor a git revision of {repo}"
    if spec.startswith("-"):
        raise DiffError(problem)
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise DiffError(f"{problem} (git is not installed)") from exc
    if done.returncode != 0:
        raise DiffError(problem)
    return done.stdout.strip()


def _git_show(repo: Path, commit: str, name: str) -> bytes | None:
    done = subprocess.run(
        ["git", "-C", str(repo), "show", f"{commit}:./out/{name}"], capture_output=True, check=False
    )
    return done.stdout if done.returncode == 0 else None


def snapshot(nquads: bytes, sssom: str | None, source: str, commit: str | None = None) -> Snapshot:
    """Semantic units of a release given as N-Quads and (optionally) merged SSSOM/TSV text.

    >>> s = snapshot(b'<https://w3id.org/ketamine-kg/id/drug/x> '
    ...     b'<http://www.w3.org/2000/01/rdf-schema#label> "x" .', None, "example")
    >>> s.sections["https://w3id.org/ketamine-kg/id/drug/x"], s.triples
    ('instances', {'default': 1, 'total': 1})
    """
    try:
        quads = list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    except SyntaxError as exc:
        raise DiffError(f"{source}: {NQUADS_NAME} is not valid N-Quads: {exc}") from exc
    counts: dict[str, int] = defaultdict(int)
    edges: dict[ox.NamedNode | ox.BlankNode, set[tuple[str, object]]] = defaultdict(set)
    graph_mappings: MappingRows = {}
    direct = set()
    for q in quads:
        graph = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        counts[graph.removeprefix(GRAPH_BASE) or "default"] += 1
        if graph == MAPPINGS_GRAPH:
            key = (curie(q.subject.value), curie(q.predicate.value), curie(q.object.value))
            graph_mappings[key] = {}
        elif graph == DIRECT_GRAPH:
            direct.add(tuple(_value(t, {}) for t in (q.subject, q.predicate, q.object)))
        else:
            edges[q.subject].add((q.predicate.value, q.object))
    units: dict[str, Props] = {}
    for subject, pairs in edges.items():
        if isinstance(subject, ox.NamedNode):
            grouped: dict[str, set[Value]] = defaultdict(set)
            for predicate, obj in pairs:
                grouped[predicate].add(_value(obj, edges))
            units[subject.value] = {p: frozenset(v) for p, v in grouped.items()}
    header_props = units.get(ONTOLOGY_IRI, {})
    header = {
        name: _first_text(header_props.get(iri, frozenset()))
        for name, iri in (
            ("version", OWL + "versionInfo"),
            ("issued", DCTERMS + "issued"),
            ("modified", DCTERMS + "modified"),
        )
    }
    if ONTOLOGY_IRI in units:
        units[ONTOLOGY_IRI] = {p: v for p, v in header_props.items() if p not in HEADER_PROPERTIES}
    return Snapshot(
        source=source,
        commit=commit,
        header=header,
        triples={**dict(sorted(counts.items())), "total": len(quads)},
        units=units,
        sections={iri: _section(iri, props) for iri, props in units.items()},
        labels={iri: label for iri, props in units.items() if (label := _label(props))},
        mappings=read_mapping_rows(sssom, source) if sssom is not None else None,
        graph_mappings=graph_mappings,
        direct=frozenset(direct),
    )


def read_mapping_rows(text: str, source: str = "") -> MappingRows:
    """SSSOM/TSV rows keyed by (subject_id, predicate_id, object_id); other columns as values.

    >>> read_mapping_rows("#curie_map: {}\\nsubject_id\\tpredicate_id\\tobject_id\\tconfidence\\n"
    ...                   "drug:x\\tskos:exactMatch\\tMESH:D1\\t0.9\\n")
    {('drug:x', 'skos:exactMatch', 'MESH:D1'): {'confidence': '0.9'}}
    """
    kept = [(n, line) for n, line in enumerate(text.splitlines(keepends=True), 1)]
    kept = [(n, line) for n, line in kept if not line.startswith("#")]
    reader = csv.DictReader(io.StringIO("".join(line for _, line in kept)), delimiter="\t")
    missing = [c for c in MAPPING_KEY if c not in (reader.fieldnames or ())]
    if missing:
        raise DiffError(f"{source}: {SSSOM_NAME} lacks the columns {', '.join(missing)}")
    rows: MappingRows = {}
    for row in reader:
        key = tuple(row[c] for c in MAPPING_KEY)
        where = f"{source}: {SSSOM_NAME} line {kept[reader.line_num - 1][0]}"
        if not all(key):
            raise DiffError(f"{where}: subject_id, predicate_id and object_id must all be set")
        if key in rows:
            raise DiffError(f"{where}: the mapping {' '.join(key)} is listed twice")
        rows[key] = {c: v or "" for c, v in row.items() if c is not None and c not in MAPPING_KEY}
    return rows


def _value(term: object, edges: dict, seen: frozenset = frozenset()) -> Value:
    if isinstance(term, ox.NamedNode):
        return Value("iri", term.value)
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        plain = datatype in (XSD_STRING, LANG_STRING)
        text = term.value if plain else canonical(term.value, datatype)
        return Value("literal", text, "" if plain else datatype, term.language or "")
    if isinstance(term, ox.BlankNode):
        return Value("blank", _blank_text(term, edges, seen))
    return Value("literal", str(term))  # an RDF-star triple term


def _blank_text(node: ox.BlankNode, edges: dict, seen: frozenset) -> str:
    """A blank node as its content, `[ p o ; … ]` sorted: independent of blank node ids."""
    if node in seen:
        return "[ … ]"
    parts = sorted(
        f"{curie(p)} {_text(_value(o, edges, seen | {node}))}" for p, o in edges.get(node, ())
    )
    return f"[ {' ; '.join(parts)} ]" if parts else "[]"


def _text(value: Value) -> str:
    """A value written out: CURIE, quoted literal (language, datatype) or blank node content."""
    if value.kind == "iri":
        return curie(value.text)
    if value.kind == "blank":
        return value.text
    suffix = f"@{value.language}" if value.language else ""
    suffix += f"^^{curie(value.datatype)}" if value.datatype else ""
    return json.dumps(value.text, ensure_ascii=False) + suffix


def _first_text(values: frozenset[Value]) -> str | None:
    return min(values).text if values else None


def _label(props: Props) -> str | None:
    for prop in LABEL_PROPERTIES:
        literals = [v for v in props.get(prop, ()) if v.kind == "literal"]
        english = [v for v in literals if v.language in ("", "en")]
        if english or literals:
            return min(english or literals).text
    return None


def _section(iri: str, props: Props) -> str:
    if Value("iri", CLAIM_CLASS) in props.get(RDF_TYPE, ()):
        return "claims"
    if iri == ONTOLOGY_IRI or iri.startswith(KKO.NS):
        return "terms"
    if iri.startswith(VOCAB):
        return "concepts"
    return "instances" if iri.startswith(ID) else "other"


# -- comparing -----------------------------------------------------------------------------


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
        if before is None:
            doc[new.sections[iri]]["added"].append(_unit(iri, after, new, old))
        elif after is None:
            doc[old.sections[iri]]["removed"].append(_unit(iri, before, old, new))
        elif before != after:
            doc[new.sections[iri]]["changed"].append(_changed(iri, before, after, old, new))
    doc["status_changes"] = _status_changes(old, new)
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
    entry = {
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
    """(drug, condition or procedure) -> (status, jurisdiction, phase) -> claim IRIs."""
    uses: dict[tuple[Value, Value], dict[tuple, set[str]]] = defaultdict(lambda: defaultdict(set))
    for iri, props in snap.units.items():
        if snap.sections[iri] != "claims":
            continue
        one = {name: min(props[p]) if props.get(p) else None for name, p in CLAIM_FIELDS.items()}
        target = one["condition"] or one["procedure"]
        if one["drug"] and target:
            use = (one["status"], one["jurisdiction"], one["phase"])
            uses[(one["drug"], target)][use].add(iri)
    return uses


def _status_changes(old: Snapshot, new: Snapshot) -> list[dict[str, Any]]:
    """Uses (drug, condition or procedure) claimed in both releases whose set of (status,
    jurisdiction, research phase) differs: one claim's status changed, or claims were added or
    removed beside the existing ones."""
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
            "claims": sorted(curie(c) for c in uses[(status, jurisdiction, phase)]),
        }
        for status, jurisdiction, phase in sorted(uses, key=lambda u: tuple(v or () for v in u))
    ]


def _mapping_diff(old: Snapshot, new: Snapshot, notes: list[str]) -> dict[str, Any]:
    if old.mappings is not None and new.mappings is not None:
        source, before, after = "sssom", old.mappings, new.mappings
    else:
        lacking = " and ".join(
            side for side, snap in (("OLD", old), ("NEW", new)) if snap.mappings is None
        )
        notes.append(
            f"{lacking} has no {SSSOM_NAME}: mappings are compared on the mapping triples of the "
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


# -- rendering -----------------------------------------------------------------------------


def render_json(doc: dict[str, Any]) -> str:
    """The diff document as JSON: sorted keys, two-space indent, UTF-8 text."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_markdown(doc: dict[str, Any]) -> str:
    """The diff as a CHANGELOG entry: release table, status changes first, then each section."""
    old, new = doc["old"], doc["new"]
    lines = [
        f"## [{new['version'] or 'unversioned'}] - {new['modified'] or 'undated'}",
        "",
        f"Changes from {old['version'] or 'an unversioned release'} ({_source(old)}) "
        f"to {new['version'] or 'an unversioned release'} ({_source(new)}), compared as RDF.",
        "",
        "| | old | new |",
        "|---|---|---|",
    ]
    for name in ("version", "issued", "modified"):
        lines.append(f"| {name} | {old[name] or '—'} | {new[name] or '—'} |")
    for graph in sorted(old["triples"].keys() | new["triples"].keys(), key=_graph_order):
        counts = [str(r["triples"].get(graph, 0)) for r in (old, new)]
        lines.append(f"| triples: {graph} | {counts[0]} | {counts[1]} |")
    mappings = ["—" if r["mappings"] is None else str(r["mappings"]) for r in (old, new)]
    lines += [f"| SSSOM mappings | {mappings[0]} | {mappings[1]} |", ""]
    if not has_semantic_changes(doc):
        lines += ["No semantic changes.", ""]
    else:
        lines += ["| | added | removed | changed |", "|---|---|---|---|"]
        for name, title in (*SECTIONS.items(), ("mappings", "Mappings")):
            counts = doc["summary"][name]
            lines.append(
                f"| {title} | {counts['added']} | {counts['removed']} | {counts['changed']} |"
            )
        edges = doc["summary"]["direct_edges"]
        lines += [f"| Derived edges | {edges['added']} | {edges['removed']} | — |", ""]
    lines += _status_lines(doc["status_changes"])
    for name, title in SECTIONS.items():
        lines += _section_lines(title, doc[name], name == "claims")
    lines += _mapping_lines(doc["mappings"])
    lines += _edge_lines(doc["direct_edges"])
    if doc["notes"]:
        lines += ["### Notes", "", *(f"- {note}" for note in doc["notes"]), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _source(release: dict[str, Any]) -> str:
    commit = release["commit"]
    return f"`{release['source']}`" + (f", commit {commit[:12]}" if commit else "")


def _graph_order(graph: str) -> tuple[int, str]:
    """Publication order of the named graphs, then other graphs, then the total."""
    known = (*SOURCE_GRAPHS, *DERIVED_GRAPHS)
    rank = known.index(graph) if graph in known else len(known) + (graph == "total")
    return (rank, graph)


def _md(value: dict[str, Any] | None) -> str:
    """A JSON value in Markdown: `curie` (label), a quoted literal, or blank node content."""
    if value is None:
        return "(none)"
    if value["type"] == "iri":
        label = f" ({value['label']})" if value["label"] else ""
        return f"`{value['curie']}`{label}"
    if value["type"] == "blank":
        return f"`{value['value']}`"
    text = " ".join(value["value"].split())
    text = text if len(text) <= 160 else text[:159] + "…"
    suffix = f"@{value['language']}" if value["language"] not in (None, "en") else ""
    suffix += f"^^{curie(value['datatype'])}" if value["datatype"] else ""
    return json.dumps(text, ensure_ascii=False) + suffix


def _name(value: dict[str, Any] | None) -> str:
    """The label of a value, else its Markdown form."""
    return value["label"] if value and value.get("label") else _md(value)


def _use(status: dict[str, Any]) -> str:
    qualifiers = [_name(status[k]) for k in ("jurisdiction", "phase") if status[k]]
    return _name(status["status"]) + (f" ({', '.join(qualifiers)})" if qualifiers else "")


def _status_lines(changes: list[dict[str, Any]]) -> list[str]:
    if not changes:
        return []
    lines = ["### Status changes", ""]
    for change in changes:
        before = "; ".join(_use(s) for s in change["old"])
        after = "; ".join(_use(s) for s in change["new"])
        claims = ", ".join(f"`{c}`" for c in change["claims"])
        lines.append(
            f"- **{_name(change['drug'])} — {_name(change['target'])}**: "
            f"{before} → **{after}** ({claims})"
        )
    return [*lines, ""]


def _claim_text(claim: dict[str, Any]) -> str:
    target = claim["condition"] or claim["procedure"]
    return f"{_name(claim['drug'])} → {_name(target)}, {_use(claim)}"


def _heading(entry: dict[str, Any]) -> str:
    label = f" ({entry['label']})" if entry["label"] else ""
    return f"`{entry['curie']}`{label}"


def _section_lines(title: str, changes: dict[str, list], claims: bool) -> list[str]:
    if not any(changes.values()):
        return []
    lines = [f"### {title}", ""]
    for kind in ("added", "removed"):
        if changes[kind]:
            lines += [f"#### {kind.capitalize()}", ""]
            for entry in changes[kind]:
                if claims:
                    detail = _claim_text(entry["claim"])
                else:
                    detail = ", ".join(_md(t) for t in entry["properties"].get("rdf:type", []))
                lines.append(f"- {_heading(entry)}" + (f": {detail}" if detail else ""))
            lines.append("")
    if changes["changed"]:
        lines += ["#### Changed", ""]
        for entry in changes["changed"]:
            detail = f": {_claim_text(entry['claim'])}" if claims else ""
            lines.append(f"- {_heading(entry)}{detail}")
            lines += [
                f"  - `{c['curie']}`: {_value_change(c['old'], c['new'])}" for c in entry["changes"]
            ]
        lines.append("")
    return lines


def _value_change(old: list[dict], new: list[dict]) -> str:
    if len(old) <= 1 and len(new) <= 1:
        return f"{_md(old[0] if old else None)} → {_md(new[0] if new else None)}"
    added = [_md(v) for v in new if v not in old]
    removed = [_md(v) for v in old if v not in new]
    parts = ([f"added {', '.join(added)}"] if added else []) + (
        [f"removed {', '.join(removed)}"] if removed else []
    )
    return "; ".join(parts)


def _mapping_lines(mappings: dict[str, Any]) -> list[str]:
    if not any(mappings[k] for k in ("added", "removed", "changed")):
        return []

    def head(m: dict[str, Any]) -> str:
        label = f" ({m['object_label']})" if m["object_label"] else ""
        return f"`{m['subject_id']}` {m['predicate_id']} `{m['object_id']}`{label}"

    lines = ["### Mappings", ""]
    for kind in ("added", "removed"):
        if mappings[kind]:
            lines += [f"#### {kind.capitalize()}", "", *(f"- {head(m)}" for m in mappings[kind])]
            lines.append("")
    if mappings["changed"]:
        lines += ["#### Changed", ""]
        for m in mappings["changed"]:
            diffs = "; ".join(
                f"{column} {json.dumps(d['old'], ensure_ascii=False)} → "
                f"{json.dumps(d['new'], ensure_ascii=False)}"
                for column, d in sorted(m["changes"].items())
            )
            lines.append(f"- {head(m)}: {diffs}")
        lines.append("")
    return lines


def _edge_lines(edges: dict[str, list]) -> list[str]:
    lines = []
    for kind in ("added", "removed"):
        if edges[kind]:
            lines += [f"#### {kind.capitalize()}", ""]
            lines += [
                f"- {_md(e['subject'])} `{e['predicate']['curie']}` {_md(e['object'])}"
                for e in edges[kind]
            ]
            lines.append("")
    return ["### Derived edges", "", *lines] if lines else []
