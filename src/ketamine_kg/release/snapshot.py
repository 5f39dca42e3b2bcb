"""One release's semantic units, read for the diff: resources with their properties, the
SSSOM rows, the derived edges and the ontology header.

A release is read from a directory (its N-Quads dump and merged SSSOM file) or from the
`out/` committed at a git revision.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pyoxigraph as ox

from ketamine_kg.build.literals import canonical
from ketamine_kg.config import GRAPH_BASE
from ketamine_kg.errors import KetamineKgError
from ketamine_kg.release.directory import NQUADS, SSSOM, ReleaseDir
from ketamine_kg.vocab import (
    DCTERMS,
    ID,
    KKO,
    ONTOLOGY_IRI,
    OWL,
    RDF,
    RDFS,
    SKOS,
    VOCAB,
    XSD,
    curie,
)

LABEL_PROPERTIES = (RDFS.label, SKOS.prefLabel)
#: Ontology header properties reported in the release summary instead of as a term change.
HEADER_PROPERTIES = frozenset(
    {
        OWL.versionInfo,
        OWL.versionIRI,
        OWL.priorVersion,
        DCTERMS.issued,
        DCTERMS.modified,
    }
)
#: Graphs whose triples are not described as resources: mappings and derived edges.
MAPPINGS_GRAPH, DIRECT_GRAPH = GRAPH_BASE + "mappings", GRAPH_BASE + "direct"
MAPPING_KEY = ("subject_id", "predicate_id", "object_id")


class DiffError(KetamineKgError):
    """A release that could not be found or read."""


class Value(NamedTuple):
    """One RDF object, hashable: `text` is an IRI, a literal's lexical form or a blank node's
    canonical content.
    """

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


def load_snapshot(spec: str, repo: Path) -> Snapshot:
    """The release in directory `spec`, else the one committed under `out/` at revision `spec`
    of the git repository at `repo`.
    """
    path = Path(spec)
    if path.is_dir():
        release = ReleaseDir(path)
        if not release.file(NQUADS).is_file():
            raise DiffError(f"{spec}: not a release directory ({NQUADS} is missing)")
        sssom = release.file(SSSOM)
        text = _utf8(sssom.read_bytes(), f"{spec}/{SSSOM}") if sssom.is_file() else None
        return snapshot(release.file(NQUADS).read_bytes(), text, spec)
    commit = _resolve_revision(spec, repo)
    nquads = _git_show(repo, commit, NQUADS)
    if nquads is None:
        raise DiffError(
            f"revision {spec} ({commit[:12]}) has no committed release: "
            f"out/{NQUADS} is not in that commit"
        )
    sssom_bytes = _git_show(repo, commit, SSSOM)
    text = _utf8(sssom_bytes, f"{spec}:out/{SSSOM}") if sssom_bytes is not None else None
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
        raise DiffError(f"{source}: {NQUADS} is not valid N-Quads: {exc}") from exc
    counts: dict[str, int] = defaultdict(int)
    edges: dict[ox.NamedNode | ox.BlankNode, set[tuple[str, object]]] = defaultdict(set)
    graph_mappings: MappingRows = {}
    direct: set[tuple[Value, Value, Value]] = set()
    for q in quads:
        graph = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        counts[graph.removeprefix(GRAPH_BASE) or "default"] += 1
        if graph == MAPPINGS_GRAPH:
            key = (curie(q.subject.value), curie(q.predicate.value), curie(q.object.value))
            graph_mappings[key] = {}
        elif graph == DIRECT_GRAPH:
            direct.add((_value(q.subject, {}), _value(q.predicate, {}), _value(q.object, {})))
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
            ("version", OWL.versionInfo),
            ("issued", DCTERMS.issued),
            ("modified", DCTERMS.modified),
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
    r"""SSSOM/TSV rows keyed by (subject_id, predicate_id, object_id); other columns as values.

    >>> read_mapping_rows("#curie_map: {}\nsubject_id\tpredicate_id\tobject_id\tconfidence\n"
    ...                   "drug:x\tskos:exactMatch\tMESH:D1\t0.9\n")
    {('drug:x', 'skos:exactMatch', 'MESH:D1'): {'confidence': '0.9'}}
    """
    kept = [(n, line) for n, line in enumerate(text.splitlines(keepends=True), 1)]
    kept = [(n, line) for n, line in kept if not line.startswith("#")]
    reader = csv.DictReader(io.StringIO("".join(line for _, line in kept)), delimiter="\t")
    missing = [c for c in MAPPING_KEY if c not in (reader.fieldnames or ())]
    if missing:
        raise DiffError(f"{source}: {SSSOM} lacks the columns {', '.join(missing)}")
    rows: MappingRows = {}
    for row in reader:
        subject_id, predicate_id, object_id = (row[c] or "" for c in MAPPING_KEY)
        key = (subject_id, predicate_id, object_id)
        where = f"{source}: {SSSOM} line {kept[reader.line_num - 1][0]}"
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
        plain = datatype in (XSD.string, RDF.langString)
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
    if Value("iri", KKO.TherapeuticUseClaim) in props.get(RDF.type, ()):
        return "claims"
    if iri == ONTOLOGY_IRI or iri.startswith(KKO.NS):
        return "terms"
    if iri.startswith(VOCAB):
        return "concepts"
    return "instances" if iri.startswith(ID) else "other"
