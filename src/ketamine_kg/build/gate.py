"""The release gate: SHACL shapes, QC queries and OWL consistency, as one report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query

from ketamine_kg import rdf
from ketamine_kg.build.intake import query_error, read_source
from ketamine_kg.build.reason import ReasonerResult
from ketamine_kg.vocab import curie


@dataclass(frozen=True)
class Finding:
    """One problem found by the gate, in plain words."""

    check: str  # "shacl", "qc" or "owl"
    rule: str  # the shape/constraint, the QC query file, or the reasoner
    focus: str
    path: str
    message: str
    value: str = ""

    def __str__(self) -> str:
        where = f"{self.focus}" + (f" {self.path}" if self.path else "")
        value = f" (value: {self.value})" if self.value else ""
        return f"[{self.check}] {where}: {self.message}{value}  <- {self.rule}"


@dataclass
class Report:
    """The gate's verdict: every finding, and what was checked."""

    findings: list[Finding] = field(default_factory=list)
    shapes: int = 0
    qc_queries: int = 0
    reasoner: ReasonerResult | None = None

    @property
    def conforms(self) -> bool:
        """Whether the gate found nothing."""
        return not self.findings

    def render(self) -> str:
        """The findings as the CLI prints them, one per line."""
        lines = [f"{len(self.findings)} violation(s)"]
        lines += [f"  {f}" for f in sorted(self.findings, key=str)]
        return "\n".join(lines)


def term_text(node: rdflib.term.Node | None) -> str:
    """A term as a finding shows it: an IRI as a CURIE, a literal's text, blank nodes alike."""
    if node is None:
        return ""
    if isinstance(node, rdflib.URIRef):
        return curie(str(node))
    if isinstance(node, rdflib.BNode):
        return "(a path expression)"
    return str(node)


class _PreparedQueryGraph(rdflib.Graph):
    """An rdflib Graph that parses each distinct SPARQL text once.

    pySHACL sends a SPARQL-based constraint's query text once per focus node (with `$this`
    bound), and rdflib would parse it every time: that parsing was about 80% of validation.
    A prepared query run with initial bindings is how rdflib means a query to be reused.
    """

    def __init__(self, data: rdflib.Graph) -> None:
        super().__init__(data.store, data.identifier, data.namespace_manager)
        self._prepared: dict[tuple[str, str | None], Query] = {}

    def query(  # type: ignore[override]  # same parameters, rdflib's looser types
        self,
        query_object: str | Query,
        processor: str = "sparql",
        result: str = "sparql",
        initNs: Mapping[str, Any] | None = None,
        initBindings: Mapping[str, Any] | None = None,
        use_store_provided: bool = True,
        **kwargs: Any,
    ) -> Any:
        if isinstance(query_object, str) and not initNs:
            key = (query_object, kwargs.get("base"))
            if key not in self._prepared:
                self._prepared[key] = prepareQuery(query_object, base=key[1])
            query_object = self._prepared[key]
        return super().query(
            query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs
        )


def shacl_results(data: rdflib.Graph, shapes: rdflib.Graph) -> rdflib.Graph:
    """PySHACL's validation report graph for `data` (no inference, every result)."""
    from pyshacl import validate

    _, results, _ = validate(
        _PreparedQueryGraph(data),
        shacl_graph=shapes,
        inference="none",
        abort_on_first=False,
        allow_warnings=False,
    )
    return results


def validate_shapes(data: rdflib.Graph, shapes: rdflib.Graph) -> list[Finding]:
    """Run pySHACL (no inference) and turn each result into a Finding."""
    results = shacl_results(data, shapes)
    findings = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        message = results.value(result, SH.resultMessage)
        shape = results.value(result, SH.sourceShape)
        component = results.value(result, SH.sourceConstraintComponent)
        rule = term_text(shape) if isinstance(shape, rdflib.URIRef) else term_text(component)
        findings.append(
            Finding(
                check="shacl",
                rule=f"{rule} ({term_text(component)})",
                focus=term_text(results.value(result, SH.focusNode)),
                path=term_text(results.value(result, SH.resultPath)),
                message=str(message) if message else term_text(component),
                value=term_text(results.value(result, SH.value)),
            )
        )
    return findings


def run_qc(store: ox.Store, qc_files: list[Path]) -> list[Finding]:
    """Each `*-violation.rq` must return no rows; each row it returns is a Finding."""
    findings = []
    for path in qc_files:
        try:
            rows = rdf.select(store, read_source(path), use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise query_error(path, exc.msg or str(exc)) from None
        check = path.name.removesuffix("-violation.rq").replace("-", " ")
        for row in rows:
            values = {v.value: row[v] for v in rows.variables}
            focus = values.get("focus") or values.get("s")
            message = values.get("message")
            findings.append(
                Finding(
                    check="qc",
                    rule=f"queries/qc/{path.name}",
                    focus=curie(focus.value) if isinstance(focus, ox.NamedNode) else str(focus),
                    path="",
                    message=message.value if message is not None else check,
                    value=", ".join(
                        f"{k}={curie(v.value)}"
                        for k, v in values.items()
                        if k not in {"focus", "s", "message"} and v is not None
                    ),
                )
            )
    return findings


def reasoner_findings(result: ReasonerResult) -> list[Finding]:
    """The reasoner's verdict as findings (none when the ontology is consistent)."""
    if result.consistent:
        return []
    if result.unsatisfiable:
        return [
            Finding("owl", "HermiT", curie(iri), "", "class is unsatisfiable")
            for iri in result.unsatisfiable
        ]
    return [Finding("owl", "HermiT", "(ontology)", "", result.message)]
