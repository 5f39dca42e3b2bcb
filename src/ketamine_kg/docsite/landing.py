"""The landing page: what the graph says in plain words, its numbers, its model, its files,
how to query and cite it; with schema.org `Dataset` JSON-LD for dataset search engines."""

from __future__ import annotations

import hashlib

import pyoxigraph as ox

from ..config import BASE
from ..metadata import DESCRIPTION, KEYWORDS, LICENSE, TITLE, Release, distribution_names
from ..namespaces import sparql_prologue
from ..pages import STATUS_ORDER, e, href, table
from ..routes import release_media
from .layout import page

HERE = "index.html"

CLAIMS = """SELECT ?claim ?drug ?drugLabel ?target ?targetLabel ?status ?statusLabel ?where
WHERE {
  ?claim a kko:TherapeuticUseClaim ; kko:drug ?drug ; kko:useStatus ?status .
  ?drug rdfs:label ?drugLabel . ?status skos:prefLabel ?statusLabel .
  { ?claim kko:condition ?target } UNION { ?claim kko:procedure ?target }
  ?target rdfs:label ?targetLabel .
  OPTIONAL { ?claim kko:jurisdiction/skos:prefLabel ?jurisdiction }
  OPTIONAL { ?claim kko:researchPhase/skos:prefLabel ?phase }
  BIND(COALESCE(?jurisdiction, ?phase, "") AS ?where)
}"""

STATISTICS = (
    ("claims", "?s a kko:TherapeuticUseClaim"),
    ("conditions", "?s a kko:MedicalCondition"),
    ("procedures", "?s a kko:MedicalProcedure"),
    ("benefit assertions", "?s a kko:BenefitAssertion"),
    ("evidence items", "?s a kko:EvidenceItem"),
    ("regulatory approvals", "?s a kko:RegulatoryApproval"),
    ("concepts in 9 SKOS schemes", "?s a skos:Concept"),
    (
        "external identifier mappings",
        "GRAPH <https://w3id.org/ketamine-kg/graph/mappings> { ?s ?p ?o }",
    ),
)


def _rows(store: ox.Store, query: str) -> list[dict[str, str]]:
    result = store.query(sparql_prologue() + query, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] else "") for n in names} for row in result]


def _count(store: ox.Store, where: str) -> int:
    (row,) = _rows(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
    return int(row["n"])


def _claims(store: ox.Store) -> list[dict[str, str]]:
    def key(row: dict[str, str]) -> tuple:
        status = row["status"]
        rank = STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)
        return (rank, row["drugLabel"], row["targetLabel"].lower(), row["where"], row["claim"])

    return sorted(_rows(store, CLAIMS), key=key)


def _link(iri: str, text: str) -> str:
    return f'<a href="{e(href(iri, HERE))}">{e(text)}</a>'


def _summary(claims: list[dict[str, str]]) -> str:
    """The claims in plain words: one sentence per status, then the table."""
    by_status: dict[str, list[dict[str, str]]] = {}
    for row in claims:
        by_status.setdefault(row["statusLabel"], []).append(row)
    sentences = []
    for status, rows in by_status.items():
        uses = sorted({f"{r['drugLabel']} for {r['targetLabel']}" for r in rows})
        sentences.append(f"<li><strong>{e(status)}</strong>: {e('; '.join(uses))}.</li>")
    table_rows = [
        [
            _link(r["claim"], f"{r['drugLabel']} — {r['targetLabel']}"),
            f'<span class="status status-{e(r["status"].rsplit("/", 1)[-1])}">'
            f"{e(r['statusLabel'])}</span>",
            e(r["where"]),
        ]
        for r in claims
    ]
    return (
        f"<p>The graph records {len(claims)} claims that a form of ketamine is used for a "
        "condition or procedure. Each claim has one use status, at least one evidence item with "
        "its source, and provenance back to the article the graph started from.</p>"
        f"<ul>{''.join(sentences)}</ul>" + table(["Claim", "Status", "Where / phase"], table_rows)
    )


def _downloads(release: Release, files: dict[str, bytes]) -> str:
    rows = [
        [
            f'<a href="{e(name)}">{e(name)}</a>',
            e(release_media(name).split(";")[0]),
            f"{len(files[name]):,}",
            f"<code>{hashlib.sha256(files[name]).hexdigest()}</code>",
        ]
        for name in distribution_names(files)
    ]
    return (
        f"<p>Every file of release {e(release.version)}, also at "
        f"<code>{e(release.iri)}/&lt;file&gt;</code>. Check a download with "
        '<code>sha256sum -c SHA256SUMS</code> (<a href="SHA256SUMS">SHA256SUMS</a>); the '
        'dataset\'s own description (VoID, DCAT, PROV) is <a href="index.ttl">index.ttl</a> '
        '(also <a href="index.jsonld">JSON-LD</a>).</p>'
        + table(["File", "Media type", "Bytes", "SHA-256"], rows)
    )


def citation(release: Release) -> str:
    """How to cite this release, as plain text."""
    return (
        f"ketamine-kg developers ({release.issued[:4]}). {TITLE}. Version {release.version}, "
        f"released {release.issued}. {release.iri}"
    )


def schema_org(release: Release, files: dict[str, bytes], creator_name: str) -> dict:
    """schema.org `Dataset` (Google Dataset Search's required and recommended properties)."""
    return {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": BASE,
        "name": TITLE,
        "description": DESCRIPTION,
        "url": BASE,
        "identifier": release.iri,
        "version": release.version,
        "datePublished": release.issued,
        "license": LICENSE,
        "isAccessibleForFree": True,
        "keywords": list(KEYWORDS),
        "creator": {"@type": "Organization", "name": creator_name},
        "citation": citation(release),
        "distribution": [
            {
                "@type": "DataDownload",
                "name": name,
                "encodingFormat": release_media(name).split(";")[0],
                "contentUrl": release.file_iri(name),
                "contentSize": f"{len(files[name])} B",
            }
            for name in distribution_names(files)
        ],
    }


def landing_page(
    store: ox.Store, release: Release, files: dict[str, bytes], triples: int, creator_name: str
) -> str:
    """The HTML of the landing page (`index.html`)."""
    statistics = [f"<li><strong>{triples:,}</strong> triples</li>"] + [
        f"<li><strong>{_count(store, where):,}</strong> {e(name)}</li>"
        for name, where in STATISTICS
    ]
    sections = [
        f'<p class="definition">{e(DESCRIPTION)}</p>',
        f"<p>Release <strong>{e(release.version)}</strong>, issued "
        f'<time datetime="{e(release.issued)}">{e(release.issued)}</time>.</p>',
        '<section id="what-it-says"><h2>What the graph says</h2>'
        + _summary(_claims(store))
        + "</section>",
        f'<section id="statistics"><h2>In numbers</h2><ul>{"".join(statistics)}</ul></section>',
        '<section id="model"><h2>The model</h2>'
        "<p>Classes (boxes, with their literal- and concept-valued properties) and the "
        "properties that link them (arrows). Every term has a page: start at the "
        '<a href="ontology.html">ontology</a>, the <a href="vocab/index.html">vocabularies</a> '
        'or the <a href="shapes.html">shapes</a> the data must satisfy.</p>'
        '<p><img src="model.svg" width="1400" height="1000" style="max-width:100%;height:auto" '
        'alt="Diagram of the model: a therapeutic use claim links a drug or product to a '
        "condition or procedure, with evidence items, benefits, dose regimens and regulatory "
        'approvals." /></p></section>',
        '<section id="downloads"><h2>Downloads</h2>' + _downloads(release, files) + "</section>",
        '<section id="query"><h2>How to query</h2>'
        "<p>Locally: <code>ketamine-kg query approved-conditions</code> (see "
        '<a href="queries/index.html">the example queries and their results</a>). Served: '
        "<code>ketamine-kg serve</code> gives a SPARQL 1.1 endpoint at <code>/sparql</code>, a "
        "query editor at <code>/</code> and this site under <code>/ketamine-kg/</code>. Every "
        "IRI dereferences to HTML, Turtle, JSON-LD, N-Triples or RDF/XML by content "
        "negotiation.</p>"
        "<pre><code>curl -H 'Accept: text/csv' --data-urlencode "
        "'query=SELECT ?c WHERE { ?claim &lt;https://w3id.org/ketamine-kg/ontology#condition&gt;"
        " ?c }' http://127.0.0.1:8000/sparql</code></pre></section>",
        '<section id="cite"><h2>How to cite</h2>'
        f"<blockquote>{e(citation(release))}</blockquote></section>",
        '<section id="licence"><h2>Licence</h2>'
        f'<p>Data and documentation under <a href="{LICENSE}">CC BY 4.0</a>. This is a research '
        "resource, not medical advice: each claim states its regulatory status and evidence; "
        "read the sources.</p></section>",
    ]
    return page(
        HERE,
        "ketamine-kg",
        "dataset",
        "\n".join(sections),
        description=DESCRIPTION,
        jsonld=schema_org(release, files, creator_name),
        canonical=BASE,
    )
