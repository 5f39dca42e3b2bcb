"""The closed term classes: every term is its namespace plus its name, every kko: term the code
names is declared in the ontology, and a term a class does not list is an error."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from conftest import ROOT

from ketamine_kg import vocab
from ketamine_kg.vocab import KKO, RDF, SH, VOID, Terms

CLASSES = [
    cls
    for cls in vars(vocab).values()
    if isinstance(cls, type) and issubclass(cls, Terms) and cls is not Terms
]


def _terms(cls: type[Terms]) -> dict[str, str]:
    return {name: getattr(cls, name) for name in cls.__annotations__ if name != "NS"}


def test_every_class_is_exported_and_has_terms() -> None:
    assert {c.__name__ for c in CLASSES} >= {"RDF", "RDFS", "OWL", "XSD", "SKOS", "SH", "KKO"}
    assert all(_terms(c) for c in CLASSES)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_term_is_its_namespace_and_name(cls: type[Terms]) -> None:
    for name, iri in _terms(cls).items():
        assert iri == cls.NS + name.removesuffix("_")
        assert cls.term(name.removesuffix("_")) == iri


def test_every_kko_term_is_declared_in_the_ontology() -> None:
    declared = {
        q.subject.value
        for path in sorted((ROOT / "ontology").glob("*.ttl"))
        for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
        if q.predicate.value == RDF.type and isinstance(q.subject, ox.NamedNode)
    }
    assert set(_terms(KKO).values()) - declared == set()


def test_keywords_take_a_trailing_underscore() -> None:
    assert VOID.class_ == "http://rdfs.org/ns/void#class"
    assert SH.term("and") == "http://www.w3.org/ns/shacl#and"


def test_an_unlisted_term_is_an_error() -> None:
    with pytest.raises(AttributeError):
        KKO.approvedFr  # noqa: B018 (the attribute access is the test)
    with pytest.raises(AttributeError, match="KKO has no term 'approvedFr'"):
        KKO.term("approvedFr")
