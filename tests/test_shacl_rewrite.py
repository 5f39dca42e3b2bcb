"""The rewrites of a SPARQL constraint's query (build/shacl_rewrite.py): where they apply, where
they do not, and that a rewritten constraint still finds what pySHACL finds.
"""

from __future__ import annotations

import pytest
from rdflib.namespace import SH

from ketamine_kg.build.shacl_rewrite import exists_in_layers, not_exists_as_minus, rewrite
from tests.test_shacl_compiled import _nt_graph, _turtle, both

LAYERED = {  # the group of an EXISTS -> its text in layers (None: left as it is)
    "?this ex:p ?j ; ex:q ?a . ?a a ex:T ; ex:p ?j .": (
        "?this ex:p ?j . ?this ex:q ?a . FILTER EXISTS { ?a a ex:T . ?a ex:p ?j . }"
    ),
    "?c ex:d ?this ; ex:e ?value .": "?c ex:d ?this . FILTER EXISTS { ?c ex:e ?value . }",
    "?this ex:q/ex:r ?y": "?this ex:q ?_seq1 . FILTER EXISTS { ?_seq1 ex:r ?y . }",
    "?this ex:q/ex:r ?y FILTER (?y != ex:z) FILTER (?this != ex:w)": (
        "?this ex:q ?_seq1 . FILTER (?this != ex:w) "
        "FILTER EXISTS { ?_seq1 ex:r ?y . FILTER (?y != ex:z) }"
    ),
    "?this ex:q/ex:r $y FILTER ($y != ex:z)": (  # $y and ?y are one variable
        "?this ex:q ?_seq1 . FILTER EXISTS { ?_seq1 ex:r $y . FILTER ($y != ex:z) }"
    ),
    "?this ex:p ?x . ?x ex:q ?y . ?y ex:r ?z . ?u ex:s ex:t": (
        "?this ex:p ?x . ?u ex:s ex:t . FILTER EXISTS { ?x ex:q ?y . "
        "FILTER EXISTS { ?y ex:r ?z . } }"
    ),
    "?this ex:p ?x": None,  # one layer already
    "?this ex:p ?x ; ex:q ?y": None,  # one layer already
    "?this ex:q/^ex:r ?y": None,  # not a sequence of IRIs: kept as one pattern
    "?a ex:p ?b . ?b ex:q ?c": None,  # no ?this to walk from
    "?this ex:p ?x . ?x ex:q [ ex:r ?y ]": None,  # a blank node
    "?this ex:p _:b . _:b ex:q ?y": None,  # a blank node
    "?this ex:p ?x . ?x ex:q 'a'": None,  # a literal: not read as text
    "?this ex:p ?x . ?x (ex:q|ex:r) ?y": None,  # a grouped path
    "?this ex:p ?x . ?x ex:q ?y FILTER isIRI(?y)": None,  # a FILTER without parentheses
    "?this ex:p ?x . BIND(?x AS ?y) ?y ex:q ?z": None,  # not a basic graph pattern
    "?this ex:p ?x . ?x ex:q": None,  # not a triple pattern
    "?this ex:p ?x ?x ex:q ?y": None,  # not a triple pattern
}


@pytest.mark.parametrize("group", LAYERED)
def test_exists_is_layered_only_where_it_applies(group: str) -> None:
    query = f"SELECT ?this WHERE {{ ?this a ex:C FILTER NOT EXISTS {{ {group} }} }}"
    expected = LAYERED[group]
    rewritten = exists_in_layers(query)
    if expected is None:
        assert rewritten == query
    else:
        assert (
            rewritten == f"SELECT ?this WHERE {{ ?this a ex:C FILTER NOT EXISTS {{ {expected} }} }}"
        )


def test_layers_apply_in_any_exists_but_not_around_a_nested_group() -> None:
    inner = "?this ex:p ?a . ?a ex:q ?b"
    query = f"ASK {{ FILTER (EXISTS {{ {inner} }} || NOT EXISTS {{ {inner} }}) }}"
    assert exists_in_layers(query).count("FILTER EXISTS { ?a ex:q ?b . }") == 2
    nested = f"ASK {{ FILTER EXISTS {{ {inner} OPTIONAL {{ ?b ex:r ?c }} }} }}"
    assert exists_in_layers(nested) == nested
    taken = "ASK { $_seq1 ex:p ?x FILTER EXISTS { ?this ex:q/ex:r ?y } }"
    assert "?_seq2 ." in exists_in_layers(taken)  # a fresh variable is one the query lacks


def test_a_layered_group_is_not_turned_into_minus() -> None:
    query = "SELECT ?this WHERE { ?this a ex:C FILTER NOT EXISTS { ?this ex:p ?a . ?a ex:q ?b } }"
    assert "MINUS" in not_exists_as_minus(query)
    assert "MINUS" not in rewrite(query)  # Oxigraph plans MINUS's right side without ?this
    assert "FILTER NOT EXISTS { ?this ex:p ?a . FILTER EXISTS" in rewrite(query)


SHAPES = """ex: sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
ex:ClaimShape a sh:NodeShape ; sh:targetClass ex:Claim ;
  sh:sparql [ sh:prefixes ex: ; sh:message "no approval of its own jurisdiction" ;
      sh:select "SELECT $this WHERE { $this ex:status ex:approved . FILTER NOT EXISTS { $this ex:jurisdiction ?j ; ex:approval ?a . ?a a ex:Approval ; ex:jurisdiction ?j . } }" ] ,
    [ sh:prefixes ex: ; sh:message "a trial with no phase-4 registration, or another one" ;
      sh:select "SELECT $this WHERE { $this ex:status ex:trial . FILTER (NOT EXISTS { $this ex:evidence/ex:phase ex:p4 } || EXISTS { $this ex:evidence/ex:phase ?other FILTER (?other != ex:p4) }) }" ] .
ex:DrugShape a sh:NodeShape ; sh:targetClass ex:Drug ;
  sh:sparql [ sh:prefixes ex: ; sh:message "an edge without an approved claim" ;
      sh:select "SELECT $this ?value WHERE { $this ex:treats ?value . FILTER NOT EXISTS { ?c ex:drug $this ; ex:condition ?value ; ex:status ex:approved . } }" ] .
"""
DATA = """ex:c1 a ex:Claim ; ex:status ex:approved ; ex:jurisdiction ex:US ; ex:approval ex:a1 .
ex:a1 a ex:Approval ; ex:jurisdiction ex:US .
ex:c2 a ex:Claim ; ex:status ex:approved ; ex:jurisdiction ex:EU ; ex:approval ex:a1 .
ex:c3 a ex:Claim ; ex:status ex:approved ; ex:jurisdiction ex:US ; ex:approval ex:a3 .
ex:a3 ex:jurisdiction ex:US .
ex:t1 a ex:Claim ; ex:status ex:trial ; ex:evidence ex:e1 . ex:e1 ex:phase ex:p4 .
ex:t2 a ex:Claim ; ex:status ex:trial ; ex:evidence ex:e2 . ex:e2 ex:phase ex:p2 .
ex:t3 a ex:Claim ; ex:status ex:trial ; ex:evidence ex:e1 , ex:e2 .
ex:d a ex:Drug ; ex:treats ex:x , ex:y .
ex:c1 ex:drug ex:d ; ex:condition ex:x .
ex:t1 ex:drug ex:d ; ex:condition ex:y .
"""


def test_rewritten_constraints_find_what_pyshacl_finds() -> None:
    """Each constraint here is rewritten in layers, and each finds a violation and passes a
    node that a wrong rewrite (a layer losing a join variable) would flag or let through."""
    shapes = _nt_graph(_turtle(SHAPES))
    queries = [str(q) for q in shapes.objects(None, SH.select)]
    assert len(queries) == 3
    assert all("FILTER EXISTS" in exists_in_layers(q.replace("$this", "?this")) for q in queries)
    compiled, reference = both({"data": _turtle(DATA)}, shapes)
    assert compiled == reference
    flagged = {(f.focus.rsplit("/", 1)[1], f.value.rsplit("/", 1)[-1]) for f in compiled}
    assert flagged == {("c2", "c2"), ("c3", "c3"), ("t2", "t2"), ("t3", "t3"), ("d", "y")}
