"""FAIR Signposting: the typed links of each file of a release, for an HTTP `Link` header.

Follows the Level 1 recipe of the FAIR Signposting Profile (https://signposting.org/FAIR/,
version of 2023-10-02), with the release's three roles of resource:

- **landing pages** (a thing's page `id/<kind>/<slug>.html` or `vocab/…`, the dataset's
  `index.html`, the ontology's and the shapes' pages): `cite-as` the IRI; `describedby` each
  RDF document of it, with its media type; `type` https://schema.org/AboutPage (the dataset's
  page first https://schema.org/Dataset); `license` the data licence the release states; a
  thing's page `collection` the dataset; the dataset's page `item` each RDF dump (void:dataDump)
  with its media type;
- **metadata resources** (the RDF documents `<stem>.ttl|.jsonld|.nt|.rdf` of those): `describes`
  the landing page;
- **content resources** (the release's DCAT distributions): `collection` the dataset's landing
  page. The profile asks for a content resource's `license`, `type` or `cite-as` only where
  they differ from the object's as a whole, which they do not here.

Targets are absolute IRIs under the IRI base, so the same links hold on any host. The functions
are pure: `links(path, facts)` for a release-relative path, with the facts read once from the
release's metadata (`ReleaseFacts.read`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from ketamine_kg import formats, rdf
from ketamine_kg.config import BASE
from ketamine_kg.exports.metadata import release_iri, release_version
from ketamine_kg.iri_space import DOCUMENTS, THING_PATH
from ketamine_kg.vocab import DCAT, DCTERMS, VOID

SCHEMA = "https://schema.org/"
ABOUT_PAGE = SCHEMA + "AboutPage"
DATASET = SCHEMA + "Dataset"
HTML = "text/html"
#: The RDF documents of a landing page: extension -> media type, in the site's order.
DESCRIPTIONS = {f.extension: f.media_type for f in formats.RDF_DOCUMENT_FORMATS}
#: Document stem -> IRI path of the documents negotiated in place (their IRI is the page).
IN_PLACE = {stem: path for path, stem in DOCUMENTS.items()}

_STEM = re.compile(r"(?P<stem>.+)\.(?P<ext>[a-z]+)")
_THING = re.compile(THING_PATH)


@dataclass(frozen=True)
class Link:
    """One typed link (RFC 8288): target, relation type and, optionally, its media type."""

    target: str
    rel: str
    type: str | None = None

    def __str__(self) -> str:
        """The link as in a `Link` header: `<target>; rel="rel"; type="media"`."""
        media = f'; type="{self.type}"' if self.type else ""
        return f'<{self.target}>; rel="{self.rel}"{media}'


@dataclass(frozen=True)
class ReleaseFacts:
    """What the links need from the release's metadata (its `index.nt`)."""

    license: str | None  # the dataset's dcterms:license
    dumps: tuple[Link, ...]  # the release's void:dataDump, as `item` links with media type
    distributions: frozenset[str]  # release-relative names of the DCAT distributions

    @classmethod
    def read(cls, metadata: Iterable[ox.Triple]) -> ReleaseFacts:
        """The facts stated by the release's metadata triples."""
        triples = list(metadata)
        release = release_iri(release_version(triples))
        licences = _objects(triples, BASE, DCTERMS.license)
        media = {
            rdf.text(t.subject): rdf.text(t.object)
            for t in triples
            if t.predicate.value == DCTERMS.format
        }
        dumps = tuple(
            Link(d, "item", media.get(d)) for d in _objects(triples, release, VOID.dataDump)
        )
        files = _objects(triples, release, DCAT.distribution)
        return cls(
            license=licences[0] if licences else None,
            dumps=dumps,
            distributions=frozenset(f.removeprefix(release + "/") for f in files),
        )


def _objects(triples: list[ox.Triple], subject: str, predicate: str) -> list[str]:
    return sorted(
        rdf.text(t.object)
        for t in triples
        if t.predicate.value == predicate and rdf.text(t.subject) == subject
    )


def described(stem: str) -> str | None:
    """The IRI of the resource whose documents have the stem `stem`, or None.

    >>> described("id/drug/ketamine"), described("index"), described("queries/x")
    ('https://w3id.org/ketamine-kg/id/drug/ketamine', 'https://w3id.org/ketamine-kg/', None)
    """
    if stem in IN_PLACE:
        return BASE + IN_PLACE[stem]
    return BASE + stem if _THING.fullmatch(stem) else None


def landing_page(stem: str) -> str:
    """The URL of the HTML page about the resource with document stem `stem`: the IRI itself
    for documents negotiated in place, else `<stem>.html`.

    >>> landing_page("index"), landing_page("vocab/use-status/approved")
    ('https://w3id.org/ketamine-kg/', 'https://w3id.org/ketamine-kg/vocab/use-status/approved.html')
    """
    return BASE + IN_PLACE[stem] if stem in IN_PLACE else f"{BASE}{stem}.html"


def links(path: str, facts: ReleaseFacts) -> list[Link]:
    """The signposts of the release file `path` (release-relative); [] for other files.

    >>> facts = ReleaseFacts("https://example.org/licence", (), frozenset({"a.nt"}))
    >>> [str(link) for link in links("id/drug/ketamine.ttl", facts)]
    ['<https://w3id.org/ketamine-kg/id/drug/ketamine.html>; rel="describes"; type="text/html"']
    >>> [str(link) for link in links("a.nt", facts)]
    ['<https://w3id.org/ketamine-kg/>; rel="collection"; type="text/html"']
    >>> links("style.css", facts)
    []
    """
    if path in facts.distributions:
        return [Link(landing_page("index"), "collection", HTML)]
    match = _STEM.fullmatch(path)
    if match is None:
        return []
    stem, ext = match["stem"], match["ext"]
    iri = described(stem)
    if iri is None:
        return []
    if ext in DESCRIPTIONS:
        return [Link(landing_page(stem), "describes", HTML)]
    if ext != "html":
        return []
    found = [Link(iri, "cite-as")]
    found += [Link(f"{BASE}{stem}.{e}", "describedby", media) for e, media in DESCRIPTIONS.items()]
    found += [Link(DATASET, "type")] if stem == "index" else []
    found.append(Link(ABOUT_PAGE, "type"))
    found += [Link(facts.license, "license")] if facts.license else []
    if stem == "index":
        found += facts.dumps
    else:
        found.append(Link(landing_page("index"), "collection", HTML))
    return found


def header(found: Iterable[Link]) -> str:
    """The value of a `Link` header carrying `found` ("" for none)."""
    return ", ".join(map(str, found))
