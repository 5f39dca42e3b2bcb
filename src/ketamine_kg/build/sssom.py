"""Read SSSOM/TSV mapping files into checked mapping rows and RDF triples."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import yaml

from ketamine_kg.build.intake import minted_iri_problem, read_source
from ketamine_kg.errors import SourceError
from ketamine_kg.identifiers import MAPPING_PREDICATES, SCHEMES
from ketamine_kg.vocab import ID, PREFIXES, VOCAB

#: Where a mapping's subject must be: our instances and concepts.
MINTED = (ID, VOCAB)
REQUIRED_COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "see_also",
)
JUSTIFICATIONS = {"semapv:ManualMappingCuration"}
#: see_also lists resolvable pages: the registry's record, and the primary file where the mapping
#: was verified (see docs/verification/README.md).
SOURCE_SCHEMES = ("http://", "https://")
#: A mapping verified in the registry's own file or a primary curated mapping set; below this
#: (or with no confidence stated), a mapping was seen only in secondary material and is never a
#: KGX node id or a QuickStatement.
VERIFIED_CONFIDENCE = 0.9


@dataclass(frozen=True)
class Mapping:
    """One SSSOM row: our subject, the predicate, the external object, and provenance."""

    subject_iri: str
    subject_label: str
    predicate_iri: str
    object_iri: str
    object_curie: str
    object_label: str
    justification: str
    see_also: str
    comment: str
    confidence: float
    line: int
    subject_column: int = 1


def _split_header(path: Path, text: str) -> tuple[dict, list[str], int]:
    header_lines, body_start = [], 0
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if not line.startswith("#"):
            body_start = index
            break
        header_lines.append(line[1:])
    else:
        body_start = len(lines)
    header = "".join(header_lines)
    try:
        meta = yaml.safe_load(header) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at, col = (mark.line + 1, mark.column + 2) if mark else (1, 1)
        raise SourceError(path, at, col, f"invalid SSSOM metadata block: {exc}") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("curie_map"), dict):
        raise SourceError(path, 1, 1, "the SSSOM metadata block needs a curie_map")
    _check_curie_map(path, meta["curie_map"], header)
    return meta, lines[body_start:], body_start


#: The namespace each prefix must have: ours and the shared ones, then the identifier schemes'.
CANONICAL = {**{p: s.iri_base for p, s in SCHEMES.items()}, **PREFIXES}


def _check_curie_map(path: Path, curie_map: dict, header: str) -> None:
    """Prefixes and namespaces are strings; a known prefix keeps the project's namespace."""
    where = _curie_map_positions(header)
    for prefix, namespace in curie_map.items():
        line, col = where.get(str(prefix), (1, 1))
        if not isinstance(prefix, str) or not isinstance(namespace, str):
            raise SourceError(
                path, line, col, f"curie_map entry {prefix!r}: prefix and namespace must be text"
            )
        expected = CANONICAL.get(prefix)
        if expected is not None and namespace != expected:
            raise SourceError(
                path,
                line,
                col,
                f"curie_map binds {prefix}: to <{namespace}>, but {prefix}: is <{expected}> "
                "in this project; it may not be rebound",
            )


def _curie_map_positions(header: str) -> dict[str, tuple[int, int]]:
    """Line and column (in the file, after its '#') of each curie_map entry."""
    root = yaml.compose(header)
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key, value in root.value:
        if key.value == "curie_map" and isinstance(value, yaml.MappingNode):
            return {
                str(k.value): (k.start_mark.line + 1, k.start_mark.column + 2)
                for k, _ in value.value
            }
    return {}


def _expand(curie: str, curie_map: dict[str, str]) -> str | None:
    prefix, sep, local = curie.partition(":")
    if not sep or prefix not in curie_map:
        return None
    return curie_map[prefix] + local


def read_sssom(path: Path) -> list[Mapping]:
    """Parse and check one SSSOM/TSV file; every problem names `path:line:col`."""
    meta, body, offset = _split_header(path, read_source(path))
    curie_map: dict[str, str] = meta["curie_map"]
    reader = csv.reader(io.StringIO("".join(body)), delimiter="\t")
    rows = list(reader)
    if not rows:
        raise SourceError(path, offset + 1, 1, "no column header row")
    columns = rows[0]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise SourceError(path, offset + 1, 1, f"missing SSSOM columns: {', '.join(missing)}")
    mappings = []
    for row_index, row in enumerate(rows[1:], start=1):
        line = offset + row_index + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            raise SourceError(
                path, line, 1, f"expected {len(columns)} tab-separated fields, found {len(row)}"
            )
        record = dict(zip(columns, row, strict=True))

        def column_of(column: str, *, _row: list[str] = row) -> int:
            return sum(len(cell) + 1 for cell in _row[: columns.index(column)]) + 1

        def fail(column: str, message: str, *, _line: int = line) -> SourceError:
            return SourceError(path, _line, column_of(column), message)

        subject = _expand(record["subject_id"], curie_map)
        if subject is None:
            raise fail("subject_id", f"unknown prefix in subject_id {record['subject_id']!r}")
        if not subject.startswith(MINTED) or (why := minted_iri_problem(subject)):
            reason = why if subject.startswith(MINTED) else "it is not one of this graph's"
            raise fail("subject_id", f"subject_id {record['subject_id']!r}: {reason}")
        predicate = MAPPING_PREDICATES.get(record["predicate_id"])
        if predicate is None:
            allowed = ", ".join(sorted(MAPPING_PREDICATES))
            raise fail("predicate_id", f"predicate_id must be one of {allowed}")
        prefix, _, local = record["object_id"].partition(":")
        scheme = SCHEMES.get(prefix)
        if scheme is None:
            raise fail("object_id", f"unknown identifier scheme {prefix!r} in object_id")
        if not scheme.matches(local):
            raise fail(
                "object_id",
                f"{record['object_id']!r} does not match the {scheme.name} pattern "
                f"{scheme.pattern}",
            )
        if record["mapping_justification"] not in JUSTIFICATIONS:
            raise fail("mapping_justification", "mapping_justification must be manual curation")
        sources = [s for s in record["see_also"].split("|") if s]
        if not sources or not all(
            s.startswith(SOURCE_SCHEMES) and s.split() == [s] for s in sources
        ):
            raise fail(
                "see_also",
                "see_also must list resolvable pages, '|'-separated http(s) URLs: the "
                "registry's record and the primary file where the mapping was verified",
            )
        confidence = _confidence(record.get("confidence") or "0")
        if confidence is None:
            raise fail("confidence", "confidence must be a number from 0 to 1")
        mappings.append(
            Mapping(
                subject_iri=subject,
                subject_label=record["subject_label"],
                predicate_iri=predicate,
                object_iri=scheme.iri(local),
                object_curie=record["object_id"],
                object_label=record["object_label"],
                justification=record["mapping_justification"],
                see_also=record["see_also"],
                comment=record.get("comment", ""),
                confidence=confidence,
                line=line,
                subject_column=column_of("subject_id"),
            )
        )
    return mappings


def _confidence(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 <= value <= 1 else None


def unverified_matches(mappings: list[Mapping]) -> frozenset[tuple[str, str]]:
    """(subject IRI, object IRI) of the mappings seen only in secondary material."""
    return frozenset(
        (m.subject_iri, m.object_iri) for m in mappings if m.confidence < VERIFIED_CONFIDENCE
    )


def mapping_triples(mappings: list[Mapping]) -> list[ox.Triple]:
    """The mapping statements as RDF (subject, SKOS mapping predicate, external IRI)."""
    return [
        ox.Triple(
            ox.NamedNode(m.subject_iri), ox.NamedNode(m.predicate_iri), ox.NamedNode(m.object_iri)
        )
        for m in mappings
    ]


def check_mappings(mapping_sets: list[tuple[Path, list[Mapping]]], described: set[str]) -> None:
    """Across every mapping file: each subject is described by the sources, and no mapping
    (subject, predicate, object) is stated twice.
    """
    seen: dict[tuple[str, str, str], tuple[Path, int]] = {}
    for path, mappings in mapping_sets:
        for m in mappings:
            if m.subject_iri not in described:
                raise SourceError(
                    path,
                    m.line,
                    m.subject_column,
                    f"the subject <{m.subject_iri}> is not described by any source "
                    "(ontology/, data/): map only what the graph holds",
                )
            key = (m.subject_iri, m.predicate_iri, m.object_iri)
            if key in seen:
                first, line = seen[key]
                raise SourceError(
                    path,
                    m.line,
                    m.subject_column,
                    f"this mapping repeats the one at {first}:{line}",
                )
            seen[key] = (path, m.line)


EXPORT_COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "mapping_date",
    "see_also",
    "confidence",
    "comment",
)


def merged_sssom(paths: list[Path], version: str) -> bytes:
    """One SSSOM/TSV of every mapping set, with the union of their curie maps, rows sorted."""
    curie_map: dict[str, str] = {}
    rows: list[dict[str, str]] = []
    for path in paths:
        meta, body, _ = _split_header(path, read_source(path))
        curie_map.update(meta["curie_map"])
        rows += list(csv.DictReader(io.StringIO("".join(body)), delimiter="\t"))
    meta = {
        "mapping_set_id": "https://w3id.org/ketamine-kg/mappings",
        "mapping_set_version": version,
        "mapping_set_title": "ketamine-kg: all mappings to external identifiers",
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "mapping_provider": "https://w3id.org/ketamine-kg/",
        "curie_map": dict(sorted(curie_map.items())),
    }
    header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    out = io.StringIO()
    out.write("".join(f"#{line}\n" for line in header.splitlines()))
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in sorted(rows, key=lambda r: (r["subject_id"], r["object_id"])):
        writer.writerow([row.get(c, "") for c in EXPORT_COLUMNS])
    return out.getvalue().encode()
