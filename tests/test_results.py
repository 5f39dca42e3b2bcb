"""The one writer of query answers (serve/results.py), used by `ketamine-kg query` and /sparql:
pyoxigraph's SPARQL results serialisers, conformant to the SPARQL 1.1 result formats, and the
row cap, which never truncates and stops the evaluation as soon as it is passed.
"""

from __future__ import annotations

import csv
import io
import json

import jsonschema
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.query import Result

from ketamine_kg import formats
from ketamine_kg.serve import results

#: Every kind of term a solution can hold: IRI, literal with a language tag, typed literal,
#: plain string with characters CSV and TSV must quote or escape, blank node, and unbound.
TERMS = """
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://example.org/> .
<https://w3id.org/ketamine-kg/id/drug/ketamine> rdfs:label "ketamine"@en , "Ketamin"@de ;
    ex:day "2019-03-05"^^xsd:date ;
    ex:text "tab\\there, \\"quoted\\"\\nnew line \\r é ∆" ;
    ex:node [ rdfs:label "a blank node" ] .
<https://w3id.org/ketamine-kg/id/drug/esketamine> rdfs:label "esketamine"@en .
"""
KINDS = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX ex: <https://example.org/>
SELECT ?thing ?label ?length ?day ?text ?node WHERE {
  ?thing rdfs:label ?label .
  FILTER (isIRI(?thing))
  OPTIONAL { ?thing ex:day ?day ; ex:text ?text ; ex:node ?node }
  BIND (STRLEN(?label) AS ?length)
}
ORDER BY ?thing ?label
"""
ALL_QUADS = "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g ?s ?p ?o"
#: A cartesian product of the release (millions of rows) that counts its evaluated solutions.
CARTESIAN = """SELECT * WHERE {
  GRAPH ?g { ?a ?b ?c } GRAPH ?h { ?d ?e ?f } BIND (<urn:count>(?a) AS ?counted)
}"""
RESULT_FORMATS = pytest.mark.parametrize("fmt", formats.RESULT_FORMATS, ids=lambda f: f.name)


@pytest.fixture(scope="module")
def terms() -> ox.Store:
    """A store of every kind of term (blank nodes under a stored label, the same in every
    answer).
    """
    store = ox.Store()
    store.load(TERMS.encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:g"))
    return store


def select(store: ox.Store, query: str, **options) -> ox.QuerySolutions:
    answer = store.query(query, use_default_graph_as_union=True, **options)
    assert isinstance(answer, ox.QuerySolutions)
    return answer


def rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> rdflib.term.Node | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == str(rdflib.XSD.string):
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def expected_rows(store: ox.Store, query: str) -> tuple[list[str], list[tuple]]:
    answer = select(store, query)
    names = [v.value for v in answer.variables]
    return names, [tuple(rdflib_term(s[n]) for n in names) for s in answer]


@RESULT_FORMATS
def test_the_capped_writer_gives_pyoxigraphs_bytes(
    store: ox.Store, terms: ox.Store, fmt: formats.Format
) -> None:
    """Below the cap, the answer is byte for byte pyoxigraph's own serialisation: the TSV the
    cap counts on loses nothing (every quad of the release, and every kind of term).
    """
    for source, query in ((store, ALL_QUADS), (terms, KINDS)):
        direct = select(source, query).serialize(format=fmt.results)
        rows = len(list(select(source, query)))
        assert rows > 2
        assert results.serialize_solutions(select(source, query), fmt) == direct
        assert results.serialize_solutions(select(source, query), fmt, rows) == direct


@RESULT_FORMATS
def test_the_cap_allows_exactly_its_rows_and_refuses_one_more(
    store: ox.Store, fmt: formats.Format
) -> None:
    query = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 25"
    assert results.serialize_solutions(select(store, query), fmt, 25)
    with pytest.raises(results.TooManyRows) as refused:
        results.serialize_solutions(select(store, query), fmt, 24)
    assert refused.value.args == (24,)


@RESULT_FORMATS
def test_answers_short_enough_are_written_once_and_long_ones_still_counted(
    store: ox.Store, fmt: formats.Format
) -> None:
    """With the query to evaluate again (the endpoint's way), the answer is the same bytes below
    the cap, whether its size proves it within the cap (one writer) or not (counted on TSV),
    and one row more is refused either way."""
    query = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 25"
    direct = select(store, query).serialize(format=fmt.results)
    for limit in (25, 10_000):  # 25 rows of IRIs: past 52 bytes, under 20,002
        again = results.serialize_solutions(
            select(store, query), fmt, limit, lambda: select(store, query)
        )
        assert again == direct
    with pytest.raises(results.TooManyRows):
        results.serialize_solutions(select(store, query), fmt, 24, lambda: select(store, query))
    rows = len(list(select(store, ALL_QUADS)))
    whole = select(store, ALL_QUADS).serialize(format=fmt.results)
    counted = results.serialize_solutions(
        select(store, ALL_QUADS), fmt, rows, lambda: select(store, ALL_QUADS)
    )
    assert counted == whole


def test_the_cap_stops_the_evaluation(store: ox.Store) -> None:
    """A cartesian product is refused after about the cap's worth of solutions were evaluated,
    not after all of them.
    """
    calls = 0

    def count(term: ox.NamedNode) -> ox.NamedNode:
        nonlocal calls
        calls += 1
        return term

    answer = select(store, CARTESIAN, custom_functions={ox.NamedNode("urn:count"): count})
    with pytest.raises(results.TooManyRows):
        results.serialize_solutions(answer, formats.SPARQL_JSON, 1000)
    assert 1000 < calls < 2000


def test_tsv_is_sparql_tsv(terms: ox.Store) -> None:
    """SPARQL 1.1 TSV: `?name` heads, terms in Turtle syntax (IRIs in <>, literals quoted with
    their language tag or datatype, tab and line breaks escaped), an empty field for unbound;
    read back by rdflib's parser as the same terms.
    """
    body = results.serialize_solutions(select(terms, KINDS), formats.SPARQL_TSV).decode()
    lines = body.split("\n")
    assert lines[0].split("\t") == ["?thing", "?label", "?length", "?day", "?text", "?node"]
    assert lines[1:] == [
        '<https://w3id.org/ketamine-kg/id/drug/esketamine>\t"esketamine"@en\t10\t\t\t',
        '<https://w3id.org/ketamine-kg/id/drug/ketamine>\t"Ketamin"@de\t7'
        '\t"2019-03-05"^^<http://www.w3.org/2001/XMLSchema#date>'
        '\t"tab\\there, \\"quoted\\"\\nnew line \\r \u00e9 \u2206"\t' + lines[2].split("\t")[-1],
        lines[3],
        "",
    ]
    assert lines[2].split("\t")[-1].startswith("_:")
    names, rows = expected_rows(terms, KINDS)
    parsed = Result.parse(io.StringIO(body), format="tsv")
    assert [str(v) for v in parsed.vars] == names
    assert [tuple(r) for r in parsed] == rows


def test_csv_is_sparql_csv(terms: ox.Store) -> None:
    """SPARQL 1.1 CSV (RFC 4180, CRLF): plain names, full IRIs, a literal's lexical form (the
    format has no place for its language tag or datatype), `_:label` blank nodes, empty for
    unbound.
    """
    body = results.serialize_solutions(select(terms, KINDS), formats.SPARQL_CSV).decode()
    assert body.startswith("thing,label,length,day,text,node\r\n") and body.endswith("\r\n")
    table = list(csv.reader(io.StringIO(body, newline="")))
    answer = select(terms, KINDS)
    assert table[0] == [v.value for v in answer.variables]
    cell = lambda t: "" if t is None else f"_:{t.value}" if isinstance(t, ox.BlankNode) else t.value  # noqa: E731
    assert table[1:] == [[cell(t) for t in s] for s in answer]
    assert table[1][:3] == ["https://w3id.org/ketamine-kg/id/drug/esketamine", "esketamine", "10"]
    assert table[2][4] == 'tab\there, "quoted"\nnew line \r é ∆'


#: The structure of SPARQL 1.1 Query Results JSON (https://www.w3.org/TR/sparql11-results-json/).
RESULTS_JSON = {
    "type": "object",
    "required": ["head"],
    "properties": {
        "head": {
            "type": "object",
            "properties": {
                "vars": {"type": "array", "items": {"type": "string", "pattern": "^[^?$]"}},
                "link": {"type": "array", "items": {"type": "string"}},
            },
            "additionalProperties": False,
        },
        "boolean": {"type": "boolean"},
        "results": {
            "type": "object",
            "required": ["bindings"],
            "properties": {
                "bindings": {
                    "type": "array",
                    "items": {"type": "object", "additionalProperties": {"$ref": "#/$defs/term"}},
                }
            },
            "additionalProperties": False,
        },
    },
    "oneOf": [{"required": ["boolean"]}, {"required": ["results"]}],
    "additionalProperties": False,
    "$defs": {
        "term": {
            "oneOf": [
                {
                    "properties": {"type": {"enum": ["uri", "bnode"]}, "value": {"type": "string"}},
                    "required": ["type", "value"],
                    "additionalProperties": False,
                },
                {
                    "properties": {
                        "type": {"const": "literal"},
                        "value": {"type": "string"},
                        "xml:lang": {"type": "string"},
                        "datatype": {"type": "string"},
                    },
                    "required": ["type", "value"],
                    "not": {"required": ["xml:lang", "datatype"]},
                    "additionalProperties": False,
                },
            ]
        }
    },
}


def test_json_is_sparql_results_json(store: ox.Store, terms: ox.Store) -> None:
    body = results.serialize_solutions(select(terms, KINDS), formats.SPARQL_JSON, 100)
    document = json.loads(body)
    jsonschema.validate(document, RESULTS_JSON)
    names, rows = expected_rows(terms, KINDS)
    assert document["head"]["vars"] == names
    for binding, row in zip(document["results"]["bindings"], rows, strict=True):
        assert set(binding) == {n for n, t in zip(names, row, strict=True) if t is not None}
    label = document["results"]["bindings"][0]["label"]
    assert label["xml:lang"] == "en" and "datatype" not in label
    ask = json.loads(results.serialize_boolean(store.query("ASK {}"), formats.SPARQL_JSON))
    jsonschema.validate(ask, RESULTS_JSON)
    assert ask == {"head": {}, "boolean": True}


@pytest.mark.parametrize("fmt", [formats.SPARQL_JSON, formats.SPARQL_XML], ids=["json", "xml"])
def test_json_and_xml_read_back_as_the_same_solutions(terms: ox.Store, fmt: formats.Format) -> None:
    """rdflib's parsers read every term back as it was (in XML, but for a carriage return:
    pyoxigraph 0.5.13 writes it unescaped, and an XML parser reads it as a line feed; fixed in
    oxigraph#1785, not yet released).
    """
    body = results.serialize_solutions(select(terms, KINDS), fmt, 100)
    parsed = Result.parse(io.BytesIO(body), format=fmt.name)
    names, rows = expected_rows(terms, KINDS)
    assert [str(v) for v in parsed.vars] == names
    if fmt is formats.SPARQL_XML:
        cr = lambda row: tuple(  # noqa: E731
            rdflib.Literal(t.replace("\r", "\n"), lang=t.language, datatype=t.datatype)
            if isinstance(t, rdflib.Literal)
            else t
            for t in row
        )
        rows = [cr(row) for row in rows]
        assert [cr(tuple(r)) for r in parsed] == rows
    else:
        assert [tuple(r) for r in parsed] == rows
