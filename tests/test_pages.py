"""Resource descriptions and HTML pages: content, links, status, JSON-LD and well-formedness."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html import escape
from html.parser import HTMLParser

import pyoxigraph as ox
import pytest

from ketamine_kg.exports.serialize import sorted_triples
from ketamine_kg.site.describe import is_known, resource_triples
from ketamine_kg.site.facts import Facts, Names, page_facts, page_triples
from ketamine_kg.site.resource import resource_html
from ketamine_kg.vocab import sparql_prologue

BASE = "https://w3id.org/ketamine-kg/"
KKO = BASE + "ontology#"
PTSD = BASE + "id/condition/ptsd"
PTSD_CLAIM = BASE + "id/claim/ketamine-ptsd"
MONDO_PTSD = "http://purl.obolibrary.org/obo/MONDO_0005146"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
LD_SCRIPT = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
#: A link to a claim's page (not to one of its RDF files) from a page outside id/claim/.
CLAIM_LINK = re.compile(r"(\.\./)*(id/)?claim/[a-z0-9-]+\.html")
#: Elements that hold one row or item of a page: a claim linked in one must show its status.
CONTAINERS = {"li", "tr", "dd", "p"}


class Checker(HTMLParser):
    """Checks that non-void tags balance and that every claim link has a status beside it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[list] = []  # [tag, needs status, has status]
        self.errors: list[str] = []
        self.claims_without_status: list[str] = []
        self.ids: set[str] = set()
        self.hrefs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if (element_id := attributes.get("id")) is not None:
            if element_id in self.ids:
                self.errors.append(f"duplicate id {element_id!r}")
            self.ids.add(element_id)
        if tag == "a" and attributes.get("href"):
            self.hrefs.add(attributes["href"])
        if tag == "a" and CLAIM_LINK.fullmatch(attributes.get("href") or ""):
            container = next((f for f in reversed(self.stack) if f[0] in CONTAINERS), None)
            if container is None:
                self.claims_without_status.append(attributes["href"])
            else:
                container[1] = container[1] or attributes["href"]
        if tag == "span" and "status" in (attributes.get("class") or "").split():
            for frame in self.stack:
                frame[2] = True
        if tag not in VOID:
            self.stack.append([tag, None, False])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.errors.append(f"self-closed non-void <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            open_tag = self.stack[-1][0] if self.stack else None
            self.errors.append(f"</{tag}> closes <{open_tag}>")
            return
        _, needs, has = self.stack.pop()
        if needs and not has:
            self.claims_without_status.append(needs)

    def close(self) -> None:
        super().close()
        self.errors += [f"<{frame[0]}> never closed" for frame in self.stack]


def check_page(page: str) -> Checker:
    checker = Checker()
    checker.feed(page)
    checker.close()
    return checker


def ld_json(page: str) -> dict:
    (script,) = LD_SCRIPT.findall(page)
    return json.loads(script)


def minted_subjects(store: ox.Store) -> list[str]:
    """Every subject we minted: instances (id/), concepts (vocab/), the ontology and its terms."""
    query = (
        f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{BASE}")) }} ORDER BY ?s'
    )

    return [row["s"].value for row in store.query(query, use_default_graph_as_union=True)]


def _label(store: ox.Store, iri: str) -> str:
    return next(
        store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(RDFS_LABEL), None)
    ).object.value


@pytest.fixture(scope="module")
def ptsd_page(store: ox.Store) -> str:
    page = resource_html(store, PTSD)
    assert page is not None
    return page


# --- describe -----------------------------------------------------------------------------


def test_describe_ptsd(store: ox.Store) -> None:
    triples = resource_triples(store, PTSD)
    ptsd, claim = ox.NamedNode(PTSD), ox.NamedNode(PTSD_CLAIM)
    assert (
        ox.Triple(
            ptsd,
            ox.NamedNode(RDFS_LABEL),
            ox.Literal("post-traumatic stress disorder", language="en"),
        )
        in triples
    )
    assert ox.Triple(ptsd, ox.NamedNode(SKOS + "exactMatch"), ox.NamedNode(MONDO_PTSD)) in triples
    assert ox.Triple(claim, ox.NamedNode(KKO + "condition"), ptsd) in triples
    # names of the linked resources come along, so a client can show them
    assert any(t.subject == claim and t.predicate.value == SKOS + "prefLabel" for t in triples)
    assert any(
        t.subject.value == KKO + "MedicalCondition" and t.predicate.value == RDFS_LABEL
        for t in triples
    )
    assert triples == sorted_triples(triples)


def test_describe_holds_exactly_the_outgoing_incoming_and_name_triples(store: ox.Store) -> None:
    iri = BASE + "id/drug/esketamine"
    triples = resource_triples(store, iri)
    node = ox.NamedNode(iri)
    union = {"use_default_graph_as_union": True}
    out = set(store.query(f"CONSTRUCT {{ {node} ?p ?o }} WHERE {{ {node} ?p ?o }}", **union))
    incoming = set(store.query(f"CONSTRUCT {{ ?s ?p {node} }} WHERE {{ ?s ?p {node} }}", **union))
    assert out | incoming <= set(triples)
    neighbours = {t.object for t in out} | {t.subject for t in incoming}
    for t in set(triples) - out - incoming:
        assert t.subject in neighbours
        assert t.predicate.value in (RDFS_LABEL, SKOS + "prefLabel")


@pytest.mark.parametrize(
    "iri",
    [
        BASE + "id/condition/no-such-condition",
        BASE + "graph/data",  # a graph name, never a subject
        MONDO_PTSD,  # known as an object, but not ours
        "http://schema.org/Drug",
        BASE + "id/condition/bad iri>",
        "not an iri",
    ],
)
def test_unknown_iris(store: ox.Store, iri: str) -> None:
    assert not is_known(store, iri)
    assert resource_triples(store, iri) == []
    assert resource_html(store, iri) is None


def test_known_iris(store: ox.Store) -> None:
    for iri in (PTSD, PTSD_CLAIM, KKO + "Drug", BASE + "ontology", BASE + "vocab/use-status"):
        assert is_known(store, iri), iri


# --- the PTSD page --------------------------------------------------------------------------


def test_ptsd_page_content(ptsd_page: str) -> None:
    assert "<title>post-traumatic stress disorder</title>" in ptsd_page
    assert "<h1>post-traumatic stress disorder</h1>" in ptsd_page
    assert "intrusive memories" in ptsd_page  # the definition
    # the page is id/condition/ptsd.html: links to the site's other pages are relative
    assert '<a href="../../ontology/MedicalCondition.html">medical condition</a>' in ptsd_page
    assert 'id="claims"' in ptsd_page
    assert '<span class="status status-investigational">investigational</span>' in ptsd_page
    assert '<a href="../../vocab/research-phase/phase-2.html">phase 2</a>' in ptsd_page
    assert '<a href="../claim/ketamine-ptsd.html">' in ptsd_page
    assert '<a href="../evidence/feder2014.html">' in ptsd_page
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/24740528"' in ptsd_page
    assert 'href="https://doi.org/10.1001/jamapsychiatry.2014.62"' in ptsd_page
    assert "Feder A, et al. Efficacy of Intravenous Ketamine" in ptsd_page  # the citation


def test_ptsd_page_external_identifiers(ptsd_page: str) -> None:
    section = ptsd_page.split('id="external-identifiers"', 1)[1].split("</section>", 1)[0]
    exact, narrow = section.split("<h3>Narrower match</h3>")
    assert "<h3>Exact match</h3>" in exact
    assert f'<a href="{MONDO_PTSD}">MONDO:0005146</a>' in exact
    assert 'href="http://www.wikidata.org/entity/Q202387"' in exact
    assert 'href="http://purl.bioontology.org/ontology/ICD10CM/F43.10"' in narrow


def test_ptsd_page_alternate_formats(ptsd_page: str) -> None:
    path = "ptsd"  # beside the page, id/condition/ptsd.html
    for ext, media in (
        ("ttl", "text/turtle"),
        ("jsonld", "application/ld+json"),
        ("nt", "application/n-triples"),
        ("rdf", "application/rdf+xml"),
    ):
        assert f'<link rel="alternate" type="{media}" href="{path}.{ext}"' in ptsd_page
        assert f'<a href="{path}.{ext}"' in ptsd_page.split("<footer>", 1)[1]


def test_ptsd_page_json_ld(ptsd_page: str) -> None:
    data = ld_json(ptsd_page)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "MedicalCondition"
    assert data["@id"] == PTSD
    assert data["name"] == "post-traumatic stress disorder"
    assert "intrusive memories" in data["description"]
    assert MONDO_PTSD in data["sameAs"]
    assert "possibleTreatment" not in data  # ketamine is only investigational for PTSD


def test_links_to_our_resources_are_relative(ptsd_page: str) -> None:
    hrefs = re.findall(r'href="([^"]*)"', ptsd_page)
    ours = [h for h in hrefs if h.startswith(BASE)]
    assert ours == [PTSD]  # only the canonical link is absolute
    relative = [h for h in hrefs if not h.startswith(("http://", "https://"))]
    assert relative and not any(h.startswith("/") for h in relative)


# --- other kinds of page ----------------------------------------------------------------------


def test_claim_page(store: ox.Store) -> None:
    page = resource_html(store, BASE + "id/claim/esketamine-trd-us")
    assert page is not None
    assert '<span class="status status-approved">approved</span>' in page
    approvals = page.split('id="approvals"', 1)[1].split("</section>", 1)[0]
    assert '<time datetime="2019-03-05">2019-03-05</time>' in approvals
    assert "Food and Drug Administration" in approvals
    assert "treatment-resistant depression (TRD) in adults" in approvals  # indication
    assert 'href="https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=' in approvals
    evidence = page.split('id="evidence"', 1)[1].split("</section>", 1)[0]
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/31109201"' in evidence
    assert "randomized controlled trial" in evidence
    benefits = page.split('id="benefits"', 1)[1].split("</section>", 1)[0]
    assert "efficacy in treatment-resistant conditions" in benefits and "REMS" in benefits
    doses = page.split('id="doses"', 1)[1].split("</section>", 1)[0]
    assert "56\u201384 mg" in doses and "intranasal" in doses
    assert ld_json(page)["@type"] == "Thing"


def test_claim_page_shows_certainty_its_assessor_and_why(store: ox.Store) -> None:
    page = resource_html(store, BASE + "id/claim/ketamine-chronic-pain-us")
    assert page is not None
    summary = page.split('<dl class="summary">', 1)[1].split("</dl>", 1)[0]
    assert "low certainty" in summary and "Cohen et al. 2018" in summary
    assert "weak or no evidence" in summary  # the rationale, in the assessor's words
    evidence = page.split('id="evidence"', 1)[1].split("</section>", 1)[0]
    assert "<th" in evidence and "Certainty it states" in evidence and "Effect" in evidence


def test_limitation_of_use_is_shown_on_the_approval_of_a_claim(store: ox.Store) -> None:
    page = resource_html(store, BASE + "id/claim/esketamine-mdsi-us")
    assert page is not None
    approvals = page.split('id="approvals"', 1)[1].split("</section>", 1)[0]
    assert "has not been demonstrated" in approvals
    assert "suicidal ideation" in re.sub(
        r"<[^>]+>", "", approvals.split("not been demonstrated")[-1]
    )


def test_dose_onset_is_a_quantity_with_its_unit(store: ox.Store) -> None:
    page = resource_html(store, BASE + "id/claim/ketamine-general-anesthesia-us")
    assert page is not None
    doses = page.split('id="doses"', 1)[1].split("</section>", 1)[0]
    assert "within 30 s" in doses and "within 4 min" in doses


def test_infusion_duration_is_shown_with_its_unit(store: ox.Store) -> None:
    page = resource_html(store, BASE + "id/claim/ketamine-crps-us")
    assert page is not None
    doses = page.split('id="doses"', 1)[1].split("</section>", 1)[0]
    assert "over 4 d" in doses and "over 4 h" in doses and "22 mg/h" in doses


def test_comparator_is_shown(store: ox.Store) -> None:
    page = resource_html(store, BASE + "id/claim/esketamine-mdsi-us")
    assert page is not None
    assert "placebo nasal spray with standard of care" in page.split('id="benefits"', 1)[1]


def test_drug_page_lists_every_claim_with_status(store: ox.Store) -> None:
    page = resource_html(store, BASE + "id/drug/ketamine")
    assert page is not None
    claims = page.split('id="claims"', 1)[1].split("</section>", 1)[0]
    rows = claims.split("<tbody>", 1)[1].split("</tr>")[:-1]
    query = sparql_prologue() + "SELECT ?c WHERE { ?c kko:drug drug:ketamine }"
    expected = {r["c"].value for r in store.query(query, use_default_graph_as_union=True)}
    assert len(rows) == len(expected) > 5
    for claim in expected:
        (row,) = [r for r in rows if f'href="../claim/{claim.rsplit("/", 1)[1]}.html"' in r]
        assert 'class="status status-' in row
    assert ld_json(page)["@type"] == "Drug"


def test_possible_treatments_match_the_direct_edges(store: ox.Store) -> None:
    query = (
        sparql_prologue()
        + """SELECT ?c ?d WHERE {
      ?c a kko:MedicalCondition OPTIONAL { ?c schema:possibleTreatment ?d } }"""
    )
    expected: dict[str, set[str]] = {}
    for row in store.query(query, use_default_graph_as_union=True):
        expected.setdefault(row["c"].value, set()).update([row["d"].value] if row["d"] else [])
    assert any(expected.values())
    for condition, drugs in expected.items():
        data = ld_json(resource_html(store, condition) or "")
        assert data["@type"] == "MedicalCondition" and data["@id"] == condition
        assert {d["@id"] for d in data.get("possibleTreatment", [])} == drugs, condition


def test_procedure_and_ontology_term_pages(store: ox.Store) -> None:
    page = resource_html(store, BASE + "id/procedure/general-anesthesia")
    assert page is not None and ld_json(page)["@type"] == "MedicalProcedure"
    assert 'id="claims"' in page and "status-approved" in page
    term = resource_html(store, KKO + "Drug")
    assert term is not None
    # the term's page is ontology/Drug.html; its RDF is the ontology document's
    assert '<link rel="alternate" type="text/turtle" href="../ontology.ttl"' in term
    assert 'href="http://schema.org/Drug"' in term  # subclass of, an absolute link
    assert '<a href="../id/drug/esketamine.html">esketamine</a>' in term  # referenced by


def test_every_ontology_term_has_an_anchor_on_the_ontology_page(store: ox.Store) -> None:
    """Hash IRIs resolve to the ontology document: its page has an anchor per term."""
    anchors = check_page(resource_html(store, BASE + "ontology") or "").ids
    terms = [i.split("#", 1)[1] for i in minted_subjects(store) if i.startswith(KKO)]
    assert len(terms) > 50 and set(terms) <= anchors


def test_pages_are_deterministic(store: ox.Store) -> None:
    assert resource_html(store, PTSD) == resource_html(store, PTSD)


def test_the_names_index_gives_the_pages_the_queries_give(store: ox.Store) -> None:
    """The website renders with one `Names` for the store; every page is as if queried."""
    names = Names(store)
    differ = [
        iri
        for iri in minted_subjects(store)
        if resource_html(store, iri, names=names) != resource_html(store, iri)
    ]
    assert not differ, differ


# --- every page -------------------------------------------------------------------------------


def test_every_minted_resource_has_a_well_formed_page(store: ox.Store) -> None:
    iris = minted_subjects(store)
    assert len(iris) > 140 and KKO + "useStatus" in iris and BASE + "ontology" in iris
    problems = []
    for iri in iris:
        page = resource_html(store, iri)
        if page is None:
            problems.append(f"{iri}: no page")
            continue
        checker = check_page(page)
        problems += [f"{iri}: {error}" for error in checker.errors]
        problems += [f"{iri}: claim {c} without status" for c in checker.claims_without_status]
        try:
            ET.fromstring(page.split("\n", 1)[1])  # XHTML-compatible: an XML parser reads it too
        except ET.ParseError as exc:
            problems.append(f"{iri}: not well-formed XML: {exc}")
        if not page.startswith("<!DOCTYPE html>\n"):
            problems.append(f"{iri}: no doctype")
        if f"<h1>{escape(_label(store, iri))}</h1>" not in page:
            problems.append(f"{iri}: label missing")
        if page.count("<script") != 1 or len(LD_SCRIPT.findall(page)) != 1:
            problems.append(f"{iri}: a script other than the JSON-LD one")
        if "/id/claim/" in iri and 'class="status status-' not in page:
            problems.append(f"{iri}: claim page without its status")
        if ld_json(page)["@id"] != iri:
            problems.append(f"{iri}: JSON-LD @id")
    assert not problems, "\n".join(problems)


# --- escaping ---------------------------------------------------------------------------------


def test_hostile_text_is_escaped() -> None:
    store = ox.Store()
    iri = BASE + "id/condition/hostile"
    hostile = "</script><script>alert(1)</script><!-- & \"quoted\" 'single'"
    node = ox.NamedNode(iri)
    for predicate, value in (
        (RDFS_LABEL, ox.Literal(hostile)),
        (SKOS + "definition", ox.Literal(hostile, language="en")),
        (
            SKOS + "exactMatch",
            ox.NamedNode("https://example.org/x?a=1&b=<2>".replace("<", "%3C").replace(">", "%3E")),
        ),
        ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", ox.NamedNode(KKO + "MedicalCondition")),
    ):
        store.add(ox.Quad(node, ox.NamedNode(predicate), value))
    page = resource_html(store, iri)
    assert page is not None
    assert page.count("<script") == 1 and "alert(1)</script>" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in page
    data = ld_json(page)
    assert data["name"] == hostile and data["description"] == hostile
    assert data["sameAs"] == ["https://example.org/x?a=1&b=%3C2%3E"]
    assert 'href="https://example.org/x?a=1&amp;b=%3C2%3E"' in page
    assert not check_page(page).errors
    ET.fromstring(page.split("\n", 1)[1])


def test_the_names_index_labels_as_each_page_would(store: ox.Store) -> None:
    """`Names.label` answers what a page's own facts answer, for every IRI it names there."""
    names = Names(store)
    differ = []
    for iri in minted_subjects(store):
        description = resource_triples(store, iri)
        shared = page_facts(store, iri, description, names)
        own = Facts.of(iri, page_triples(store, iri, description, names))
        differ += [(iri, n) for n in sorted(shared.named) if shared.label(n) != own.label(n)]
    assert not differ, differ[:5]


def test_facts_do_not_depend_on_the_order_of_the_triples(store: ox.Store) -> None:
    triples = page_triples(store, PTSD_CLAIM, resource_triples(store, PTSD_CLAIM))
    forward, backward = Facts.of(PTSD_CLAIM, triples), Facts.of(PTSD_CLAIM, triples[::-1])
    assert forward.out == backward.out and forward.incoming == backward.incoming
    assert all(v == sorted(v, key=str) for o in forward.out.values() for v in o.values())
