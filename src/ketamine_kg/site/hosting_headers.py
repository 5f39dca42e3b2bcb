"""The HTTP headers a static host sends with the release, as one table for the nginx and
Apache rules (nginx_headers.py, apache_host.py) and for the tests that check their answers.

- CORS: the server's set (serve/server.py `CORS`) on every answer but an HTML page, so a page
  on another site can fetch the context, a dump or a resource's RDF, and follow the redirects
  to them; an OPTIONS pre-flight answers 204, cached for a day.
- Cache-Control (`CACHE`): one hour on every file and every redirect, the same as the
  server's query answers. Files at the current paths change with each release, and a
  redirect's target with the host; an hour keeps a new release visible soon. Errors have none.
- Content-Disposition `attachment` on the downloads (the DCAT distributions and their gzip
  copies) but the JSON-LD context, which documents load as data.
- FAIR Signposting (https://signposting.org/FAIR/) `Link` headers: a thing's page or RDF
  document (`thing_links`), the landing page (`landing_links`), a download (`download_links`).

The server implements the same link set in `ketamine_kg/signposting.py`; both should build it
from one module (docs/hosting.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox

from ketamine_kg import formats, rdf
from ketamine_kg import iri_space as routes
from ketamine_kg.config import BASE
from ketamine_kg.exports.metadata import (
    LICENSE,
    MEDIA_TYPES,
    NOT_DISTRIBUTIONS,
    WEBSITE_PREFIXES,
    release_iri,
    release_version,
)
from ketamine_kg.release.directory import CONTEXT, RDF_DUMPS, is_dump
from ketamine_kg.vocab import DCAT, DCTERMS

#: The server's CORS headers (serve/server.py), sent on data, redirects and errors.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type",
    "Access-Control-Expose-Headers": "Content-Location, ETag, Retry-After",
}
#: How long a pre-flight answer may be reused (the server's).
PREFLIGHT_MAX_AGE = "86400"
#: Cache-Control on files and redirects.
CACHE = "public, max-age=3600"
#: Content-Disposition on downloads.
ATTACHMENT = "attachment"
ABOUT_PAGE = "https://schema.org/AboutPage"
DATASET_TYPE = "https://schema.org/Dataset"
#: The formats a description is linked in (`describedby`).
DESCRIBED_BY = (formats.TURTLE, formats.JSON_LD)


def thing_file(group: str = "") -> str:
    """A regex of a thing's page or RDF document, release-relative; group 1 (named by `group`,
    e.g. `?<t>`) is the thing's path.
    """
    extensions = "|".join(map(re.escape, routes.DOCUMENT_TYPES))
    return f"({group}{routes.THING_PATH})\\.(?:{extensions})"


#: A download, release-relative: a file that is not the website's or the metadata's.
DOWNLOAD_FILE = (
    "(?!(?:"
    + "|".join(re.escape(p) for p in WEBSITE_PREFIXES)
    + ")|(?:"
    + "|".join(re.escape(n) for n in NOT_DISTRIBUTIONS)
    + ")$).+"
)
#: A download that is not opened as an attachment (JSON-LD processors load it).
INLINE_DOWNLOADS = (CONTEXT,)


@dataclass(frozen=True)
class Published:
    """What the rules say of a release: its version, its data licence and its dumps (name,
    media type), the landing page's `item` links.
    """

    version: str
    license: str = LICENSE
    dumps: tuple[tuple[str, str], ...] = tuple(
        (name, formats.of_release_file(name).media_type) for name in RDF_DUMPS
    )

    @classmethod
    def of(cls, metadata: list[ox.Triple]) -> Published:
        """From the release's own metadata (index.nt): dcterms:license and the distributions
        that are dumps, by name.
        """
        version = release_version(metadata)
        iri = release_iri(version)
        licenses = {
            rdf.text(t.object)
            for t in metadata
            if rdf.text(t.subject) == iri and t.predicate.value == DCTERMS.license
        }
        if len(licenses) != 1:
            raise ValueError(f"expected one dcterms:license of <{iri}>, found {len(licenses)}")
        media = {
            rdf.text(t.subject): rdf.text(t.object).removeprefix(MEDIA_TYPES)
            for t in metadata
            if t.predicate.value == DCAT.mediaType
        }
        dumps = sorted(
            (name, media[d])
            for d in media
            if d.startswith(iri + "/") and is_dump(name := d.removeprefix(iri + "/"))
        )
        return cls(version, licenses.pop(), tuple(dumps))


def _link(target: str, rel: str, media: str | None = None) -> str:
    return f'<{target}>; rel="{rel}"' + (f'; type="{media}"' if media else "")


def thing_links(path: str, release: Published) -> str:
    """The Link header of a thing's page or RDF document; `path` is the thing's path under the
    base (or a server variable holding it).

    >>> for link in thing_links("id/x/y", Published("1.0")).split(", "):
    ...     print(link.replace("https://w3id.org/ketamine-kg/", "kkg:"))
    <kkg:id/x/y>; rel="cite-as"
    <kkg:id/x/y.ttl>; rel="describedby"; type="text/turtle"
    <kkg:id/x/y.jsonld>; rel="describedby"; type="application/ld+json"
    <https://schema.org/AboutPage>; rel="type"
    <https://creativecommons.org/licenses/by/4.0/>; rel="license"
    <kkg:>; rel="collection"
    """
    iri = BASE + path
    return ", ".join(
        [
            _link(iri, "cite-as"),
            *(_link(f"{iri}.{f.extension}", "describedby", f.media_type) for f in DESCRIBED_BY),
            _link(ABOUT_PAGE, "type"),
            _link(release.license, "license"),
            _link(BASE, "collection"),
        ]
    )


def landing_links(release: Published) -> str:
    """The Link header of the landing page: the dataset, its description, its dumps."""
    return ", ".join(
        [
            _link(BASE, "cite-as"),
            *(
                _link(f"{BASE}index.{f.extension}", "describedby", f.media_type)
                for f in DESCRIBED_BY
            ),
            _link(DATASET_TYPE, "type"),
            _link(ABOUT_PAGE, "type"),
            _link(release.license, "license"),
            *(_link(BASE + name, "item", media) for name, media in release.dumps),
        ]
    )


def download_links(release: Published) -> str:
    """The Link header of a download: the dataset it belongs to and its licence."""
    return ", ".join([_link(BASE, "collection"), _link(release.license, "license")])


def link_header(name: str, release: Published) -> str | None:
    """The Link header a static host sends with the release file `name`, if any.

    >>> link_header("style.css", Published("1.0")) is None
    True
    >>> link_header("ketamine-kg.nq.gz", Published("1.0")).startswith('<https://w3id.org/')
    True
    """
    thing = re.fullmatch(thing_file(), name)
    if thing:
        return thing_links(thing.group(1), release)
    if name == "index.html":
        return landing_links(release)
    if re.fullmatch(DOWNLOAD_FILE, name):
        return download_links(release)
    return None


def is_attachment(name: str) -> bool:
    """Whether the release file `name` is sent with `Content-Disposition: attachment`.

    >>> [is_attachment(n) for n in ("ketamine-kg.ttl.gz", "context.jsonld", "index.html")]
    [True, False, False]
    """
    return bool(re.fullmatch(DOWNLOAD_FILE, name)) and name not in INLINE_DOWNLOADS
