"""The landing page: the evidence map, what the graph says in plain words, its numbers, its
model, its files, how to query and cite it; with schema.org `Dataset` JSON-LD for dataset
search engines.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

from ketamine_kg import rdf
from ketamine_kg.config import BASE, graph_iri
from ketamine_kg.exports.metadata import (
    DESCRIPTION,
    KEYWORDS,
    LICENSE,
    MEDIA_TYPES,
    TITLE,
    Release,
)
from ketamine_kg.site import diagram, evidence_map
from ketamine_kg.site.facts import STATUS_ORDER
from ketamine_kg.site.html import e, href, table
from ketamine_kg.site.layout import page
from ketamine_kg.vocab import DCAT, KKO, SPDX, sparql_prologue

HERE = "index.html"

#: One row per claim (its concepts by their English preferred label, which the shapes require).
CLAIMS = """SELECT DISTINCT ?claim ?drug ?drugLabel ?target ?targetLabel ?status ?statusLabel
  ?where
WHERE {
  ?claim a kko:TherapeuticUseClaim ; kko:drug ?drug ; kko:useStatus ?status .
  ?drug rdfs:label ?drugLabel .
  ?status skos:prefLabel ?statusLabel FILTER(langMatches(lang(?statusLabel), "en"))
  { ?claim kko:condition ?target } UNION { ?claim kko:procedure ?target }
  ?target rdfs:label ?targetLabel .
  OPTIONAL {
    ?claim kko:jurisdiction/skos:prefLabel ?jurisdiction
    FILTER(langMatches(lang(?jurisdiction), "en"))
  }
  OPTIONAL {
    ?claim kko:researchPhase/skos:prefLabel ?phase FILTER(langMatches(lang(?phase), "en"))
  }
  BIND(COALESCE(?jurisdiction, ?phase, "") AS ?where)
}"""

#: Per product or drug: how many safety statements of each kind (the "Safety" section).
RISKS = """SELECT ?subject ?subjectLabel ?kind ?kindLabel (COUNT(DISTINCT ?s) AS ?n)
WHERE {
  ?kind rdfs:subClassOf kko:SafetyStatement .
  ?s a ?kind .
  { ?s kko:concernsProduct ?subject } UNION { ?s kko:concernsDrug ?subject }
  ?subject rdfs:label ?subjectLabel .
  ?kind rdfs:label ?kindLabel .
}
GROUP BY ?subject ?subjectLabel ?kind ?kindLabel
ORDER BY ?subjectLabel ?kindLabel"""

#: What the landing page counts: a name ("{schemes}": the number of concept schemes) and a
#: pattern whose distinct solutions are counted.
STATISTICS = (
    ("claims", "?s a kko:TherapeuticUseClaim"),
    ("conditions", "?s a kko:MedicalCondition"),
    ("procedures", "?s a kko:MedicalProcedure"),
    ("benefit assertions", "?s a kko:BenefitAssertion"),
    ("evidence items", "?s a kko:EvidenceItem"),
    ("regulatory approvals", "?s a kko:RegulatoryApproval"),
    ("safety statements", "?s a ?kind . ?kind rdfs:subClassOf kko:SafetyStatement"),
    ("concepts in {schemes} SKOS schemes", "?s a skos:Concept"),
    ("external identifier mappings", f"GRAPH <{graph_iri('mappings')}> {{ ?s ?p ?o }}"),
)


@dataclass(frozen=True)
class Download:
    """A distribution of the release, as the release's DCAT metadata describes it."""

    name: str
    media_type: str  # of the content
    size: int
    sha256: str
    compression: str | None = None  # the media type of a compressed file (gzip), if it is one

    @property
    def label(self) -> str:
        """The type of its content, and its compression if it has one."""
        packed = self.compression.rsplit("/", 1)[-1] if self.compression else ""
        return f"{self.media_type} ({packed})" if packed else self.media_type


def _rows(store: ox.Store, query: str) -> list[dict[str, str]]:
    result = rdf.select(store, sparql_prologue() + query, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{n: (t.value if t else "") for n, t in zip(names, row, strict=True)} for row in result]


def _count(store: ox.Store, where: str) -> int:
    """The number of distinct solutions of the pattern (a triple in two graphs counts once)."""
    (row,) = _rows(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT * {{ {where} }} }}")
    return int(row["n"])


def _statistics(store: ox.Store, triples: int) -> str:
    schemes = _count(store, "?s a skos:ConceptScheme")
    counts = [(triples, "triples")] + [
        (_count(store, where), name.format(schemes=schemes)) for name, where in STATISTICS
    ]
    return "".join(f"<li><strong>{n:,}</strong> {e(name)}</li>" for n, name in counts)


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
    count = len({r["claim"] for r in claims})  # a claim of several rows is one claim
    return (
        f"<p>The graph records {count} claims that a form of ketamine is used for a "
        "condition or procedure. Each claim has one use status, at least one evidence item with "
        "its source, and provenance back to the article the graph started from.</p>"
        f"<ul>{''.join(sentences)}</ul>" + table(["Claim", "Status", "Where / phase"], table_rows)
    )


def _evidence_map(uses: list[evidence_map.Use], svg: str) -> str:
    """The evidence map inline (its rows are links), its caption, and the same as a table."""
    rows = [
        [
            _link(u.claim, u.label),
            f'<span class="status status-{e(u.status.rsplit("/", 1)[-1])}">'
            f"{e(u.status_label)}</span>",
            e(u.certainty_label),
            f"{u.items}{e(u.caveat)}",
        ]
        for u in uses
    ]
    return (
        '<figure class="evidence-map">'
        + svg
        + "<figcaption>Every use the graph records, one row each, grouped by use status. The "
        "column is the certainty of the body of evidence on the GRADE scale where it was "
        "assessed, and <em>not assessed</em> where it was not (a blank is not a grade); the "
        "number is how many evidence items the use cites, with an asterisk when some of them "
        "did not show a plain benefit. Each row links to the use's page. "
        f'The map on its own: <a href="{evidence_map.HERE}">{evidence_map.HERE}</a>.'
        "</figcaption></figure>"
        "<details><summary>The evidence map as a table</summary>"
        + table(["Use", "Status", "Certainty of evidence", "Evidence items"], rows)
        + "</details>"
    )


def _safety(store: ox.Store) -> str:
    """Risks beside the uses: per product or drug, its safety statements by kind."""
    rows = _rows(store, RISKS)
    if not rows:
        return ""
    by_subject: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in rows:
        by_subject[(r["subject"], r["subjectLabel"])].append(f"{r['n']} {r['kindLabel']}")
    items = "".join(
        f"<li>{_link(iri, label)}: {e(', '.join(kinds))}</li>"
        for (iri, label), kinds in by_subject.items()
    )
    return (
        "<p>Risks are data with the same care as uses: contraindications, warnings and "
        "precautions, boxed warnings (each label version kept with its date, and marked when it "
        "is not the current one), interactions, risk programmes, adverse reactions with both "
        "arms' incidence, and control status, each with the label section and version it was "
        "read from. Each product's page shows them beside its uses.</p>"
        f"<ul>{items}</ul>"
        '<p>Queries: <a href="queries/contraindications-by-product.html">contraindications</a>, '
        '<a href="queries/boxed-warnings-by-version.html">boxed warnings by label version</a>, '
        '<a href="queries/adverse-reactions-with-incidence.html">adverse reactions</a>.</p>'
    )


def distributions(metadata: list[ox.Triple], release: Release) -> list[Download]:
    """The release's distributions by name, with the media type, size and SHA-256 that its
    DCAT metadata states.
    """
    out: dict[object, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for t in metadata:
        out[t.subject][t.predicate.value].append(t.object)

    def one(subject: object, predicate: str) -> str:
        (value,) = out[subject][predicate]
        return value.value

    def compression(distribution: ox.NamedNode) -> str | None:
        found = out[distribution][DCAT.compressFormat]
        return one(distribution, DCAT.compressFormat).removeprefix(MEDIA_TYPES) if found else None

    def sha256(distribution: ox.NamedNode) -> str:
        (value,) = [
            one(checksum, SPDX.checksumValue)
            for checksum in out[distribution][SPDX.checksum]
            if one(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        ]
        return value

    found = [
        Download(
            name=d.value.removeprefix(release.file_iri("")),
            media_type=one(d, DCAT.mediaType).removeprefix(MEDIA_TYPES),
            size=int(one(d, DCAT.byteSize)),
            sha256=sha256(d),
            compression=compression(d),
        )
        for d in out[ox.NamedNode(release.iri)][DCAT.distribution]
    ]
    return sorted(found, key=lambda d: d.name)


def _downloads(release: Release, files: list[Download]) -> str:
    rows = [
        [
            f'<a href="{e(f.name)}">{e(f.name)}</a>',
            e(f.label),
            f"{f.size:,}",
            f"<code>{e(f.sha256)}</code>",
        ]
        for f in files
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


def schema_org(release: Release, files: list[Download], creator_name: str) -> dict:
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
                "name": f.name,
                "encodingFormat": f.compression or f.media_type,
                "contentUrl": release.file_iri(f.name),
                "contentSize": f"{f.size} B",
            }
            for f in files
        ],
    }


def landing_page(
    store: ox.Store,
    release: Release,
    metadata: list[ox.Triple],
    triples: int,
    creator_name: str,
    evidence: tuple[list[evidence_map.Use], str] | None = None,
) -> str:
    """The HTML of the landing page (`index.html`); `metadata`: the release's DCAT metadata;
    `evidence`: the store's evidence map `uses` and its SVG, if the caller has made them.
    """
    files = distributions(metadata, release)
    if evidence is None:
        rows = evidence_map.uses(store)
        evidence = rows, evidence_map.evidence_map_svg(store, rows)
    sections = [
        f'<p class="definition">{e(DESCRIPTION)}</p>',
        f"<p>Release <strong>{e(release.version)}</strong>, issued "
        f'<time datetime="{e(release.issued)}">{e(release.issued)}</time>.</p>',
        '<section id="evidence-map"><h2>Evidence map</h2>'
        + _evidence_map(*evidence)
        + "</section>",
        '<section id="what-it-says"><h2>What the graph says</h2>'
        + _summary(_claims(store))
        + "</section>",
        '<section id="safety"><h2>Safety</h2>' + _safety(store) + "</section>",
        '<section id="statistics"><h2>In numbers</h2><ul>'
        + _statistics(store, triples)
        + "</ul></section>",
        '<section id="model"><h2>The model</h2>'
        "<p>Classes (boxes, with their literal- and concept-valued properties) and the "
        "properties that link them (arrows). Every term has a page: start at the "
        '<a href="ontology.html">ontology</a>, the <a href="vocab/index.html">vocabularies</a> '
        'or the <a href="shapes.html">shapes</a> the data must satisfy.</p>'
        f'<p><img src="model.svg" width="{diagram.WIDTH}" height="{diagram.HEIGHT}" '
        'style="max-width:100%;height:auto" '
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
        f"'query=SELECT ?c WHERE {{ ?claim {e(f'<{KKO.condition}>')} ?c }}' "
        "http://127.0.0.1:8000/sparql</code></pre></section>",
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
