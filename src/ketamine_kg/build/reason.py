"""OWL consistency with owlready2 + HermiT, cached by the checksum of its input."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ketamine_kg.build.owl_summary import summarise
from ketamine_kg.errors import KetamineKgError
from ketamine_kg.exports import serialize
from ketamine_kg.vocab import OWL, RDF, RDFS, XSD

JAVA_HELP = (
    "Java was not found, and the OWL reasoner (HermiT, run by owlready2) needs it. "
    "Install a Java runtime (Debian/Ubuntu: `apt-get install default-jre-headless`; "
    "macOS: `brew install openjdk`) and make sure `java` is on PATH."
)


@dataclass(frozen=True)
class ReasonerResult:
    """HermiT's verdict on the ontology and class-level data."""

    consistent: bool
    unsatisfiable: tuple[str, ...]
    message: str
    cached: bool


class JavaMissingError(KetamineKgError):
    """Java (needed by HermiT) is not installed or not on PATH."""


#: The OWL 2 datatype map (OWL 2 Structural Specification, section 4); HermiT rejects others.
OWL2_DATATYPES = frozenset(
    [
        RDF.PlainLiteral,
        RDF.XMLLiteral,
        RDF.langString,
        RDFS.Literal,
        OWL.real,
        OWL.rational,
    ]
    + [
        XSD.term(name)
        for name in (
            "decimal",
            "integer",
            "nonNegativeInteger",
            "nonPositiveInteger",
            "positiveInteger",
            "negativeInteger",
            "long",
            "int",
            "short",
            "byte",
            "unsignedLong",
            "unsignedInt",
            "unsignedShort",
            "unsignedByte",
            "double",
            "float",
            "string",
            "normalizedString",
            "token",
            "language",
            "Name",
            "NCName",
            "NMTOKEN",
            "boolean",
            "hexBinary",
            "base64Binary",
            "anyURI",
            "dateTime",
            "dateTimeStamp",
        )
    ]
)


def reasoner_input(triples: list[ox.Triple]) -> bytes:
    """N-Triples for HermiT: the class-level triples and a type-level summary of the data
    (owl_summary.py). Literals outside the OWL 2 datatype map (xsd:date, xsd:gYear,
    xsd:duration) are left out; they carry no logical content that could make the graph
    inconsistent, and SHACL checks them instead. The same bytes whatever the triples' order.
    """
    return summarise(_lines(triples), OWL2_DATATYPES)


def _lines(triples: list[ox.Triple], part: int = serialize.PART) -> Iterator[str]:
    """The triples' N-Triples lines, written `part` triples at a time (not all held at once)."""
    for text in serialize.ntriples_parts(triples, part):
        yield from text.decode().splitlines()


def check_consistency(ntriples: bytes, cache_dir: Path | None = None) -> ReasonerResult:
    """Run HermiT on an N-Triples document; reuse a cached verdict for identical input."""
    import owlready2

    key = hashlib.sha256(ntriples + owlready2.VERSION.encode()).hexdigest()
    marker = cache_dir / "reasoner" / f"{key}.ok" if cache_dir else None
    if marker is not None and marker.exists():
        return ReasonerResult(True, (), "consistent (cached verdict for identical input)", True)
    if shutil.which("java") is None and not getattr(owlready2, "JAVA_EXE", "").startswith("/"):
        raise JavaMissingError(JAVA_HELP)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.nt"
        path.write_bytes(ntriples)
        world = owlready2.World()
        onto = world.get_ontology(path.as_uri()).load(format="ntriples")
        try:
            with onto:
                owlready2.sync_reasoner_hermit(
                    world, infer_property_values=False, debug=0, keep_tmp_file=False
                )
        except owlready2.OwlReadyInconsistentOntologyError:
            return ReasonerResult(False, (), "the ontology and data are inconsistent", False)
        except owlready2.OwlReadyJavaError as exc:
            return ReasonerResult(False, (), f"HermiT could not reason: {_java_cause(exc)}", False)
        except FileNotFoundError as exc:  # the java executable vanished
            raise JavaMissingError(JAVA_HELP) from exc
        unsat = tuple(
            sorted(c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing)
        )
    if unsat:
        return ReasonerResult(False, unsat, "unsatisfiable classes found", False)
    if marker is not None:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("consistent\n")
    return ReasonerResult(True, (), "consistent", False)


def _java_cause(exc: Exception) -> str:
    """The first line of the Java exception that HermiT raised."""
    for line in str(exc).splitlines():
        if "Exception" in line:
            return line.split(":", 1)[-1].strip() or line.strip()
    return str(exc).strip()
