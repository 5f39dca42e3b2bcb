"""The HTTP headers a static host sends with the release, as the server sends them: one table
for the nginx and Apache rules (nginx_headers.py, apache_host.py) and for their tests.

- CORS: the server's set (`ketamine_kg.hosting.CORS`) on every answer but an HTML page, so a page
  on another site can fetch the context, a dump or a resource's RDF, and follow the redirects
  to them; an OPTIONS pre-flight answers 204, cached for a day.
- Cache-Control: the server's lifetimes (serve/caching.py): a week for a file under a version
  IRI (`release/<version>/…`), which never changes; an hour for everything that names the
  current release (files at their current paths, redirects). Errors have none.
- Content-Disposition `attachment; filename="<name>"` on the downloads (the release's DCAT
  distributions, gzip copies included) but the JSON-LD context, which documents load as data.
- FAIR Signposting `Link` headers: the links of signposting.py, the server's, for every file.
  The rules cannot call it per request, so a thing's links are written once for a placeholder
  thing and the placeholder replaced by the server's variable holding the thing's path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from ketamine_kg import formats, hosting, signposting
from ketamine_kg import iri_space as routes
from ketamine_kg.exports.metadata import NOT_DISTRIBUTIONS, WEBSITE_PREFIXES, release_version

#: How long a pre-flight answer may be reused (the server's).
PREFLIGHT_MAX_AGE = "86400"
#: A thing's path that stands for the server's variable in a thing's links.
PLACEHOLDER = "id/kkg-placeholder"
#: A download, release-relative: a file that is not the website's or the metadata's
#: (metadata.distribution_names as a regex; a test holds it to the release's distributions).
DOWNLOAD_FILE = (
    "(?!(?:"
    + "|".join(re.escape(p) for p in WEBSITE_PREFIXES)
    + ")|(?:"
    + "|".join(re.escape(n) for n in NOT_DISTRIBUTIONS)
    + ")$).+"
)
#: The RDF document formats of a thing (`describes` its page).
RDF_EXTENSIONS = tuple(f.extension for f in formats.RDF_DOCUMENT_FORMATS)
#: A thing's document that a large release leaves to `ketamine-kg serve` (release-relative
#: regex: formats.MADE_FROM_TURTLE under the things' folders); the static rules proxy it.
MADE_DOCUMENT = (
    "(?:"
    + "|".join(map(re.escape, routes.THING_PREFIXES))
    + ")[^?]+\\.(?:"
    + "|".join(f.extension for f in formats.MADE_FROM_TURTLE)
    + ")"
)
_NO_FACTS = signposting.ReleaseFacts(None, (), frozenset())


@dataclass(frozen=True)
class Published:
    """What the rules say of a release: its version and the facts its links name (licence,
    dumps, distributions); without a release's metadata, none (no links but a thing's).
    """

    version: str
    facts: signposting.ReleaseFacts = field(default=_NO_FACTS)

    @classmethod
    def of(cls, metadata: list[ox.Triple]) -> Published:
        """From the release's own metadata (index.nt)."""
        return cls(release_version(metadata), signposting.ReleaseFacts.read(metadata))


def thing_file(group: str = "", extensions: tuple[str, ...] = RDF_EXTENSIONS) -> str:
    """A regex of a thing's documents with `extensions`, release-relative; group 1 (named by
    `group`, e.g. `?<t>`) is the thing's path.
    """
    return f"({group}{routes.THING_PATH})\\.(?:{'|'.join(map(re.escape, extensions))})"


def link_header(name: str, release: Published) -> str | None:
    """The Link header of the release file `name` (the server's), if it has links.

    >>> link_header("style.css", Published("1.0")) is None
    True
    >>> link_header("id/drug/ketamine.ttl", Published("1.0"))
    '<https://w3id.org/ketamine-kg/id/drug/ketamine.html>; rel="describes"; type="text/html"'
    """
    return signposting.header(signposting.links(name, release.facts)) or None


def thing_links(extension: str, variable: str, release: Published) -> str:
    """The Link header of a thing's document `<path>.<extension>`, the thing's path written
    as `variable` (the server's syntax for the captured path).

    >>> thing_links("ttl", "$t", Published("1.0"))
    '<https://w3id.org/ketamine-kg/$t.html>; rel="describes"; type="text/html"'
    """
    found = link_header(f"{PLACEHOLDER}.{extension}", release) or ""
    return found.replace(PLACEHOLDER, variable)


def document_links(release: Published) -> dict[str, list[str]]:
    """The documents negotiated in place (`index.html`, `ontology.ttl`, …), grouped by their
    Link header: header -> the names that carry it.
    """
    grouped: dict[str, list[str]] = {}
    for stem in routes.DOCUMENTS.values():
        for ext in routes.DOCUMENT_TYPES:
            found = link_header(f"{stem}.{ext}", release)
            if found:
                grouped.setdefault(found, []).append(f"{stem}.{ext}")
    return grouped


def download_links(release: Published) -> str | None:
    """The Link header of a download (one for all of them), if the release has any."""
    first = min(release.facts.distributions, default=None)
    return link_header(first, release) if first else None


def is_attachment(name: str) -> bool:
    """Whether the release file `name` is sent with `Content-Disposition: attachment`.

    >>> [is_attachment(n) for n in ("ketamine-kg.ttl.gz", "context.jsonld", "index.html")]
    [True, False, False]
    """
    return bool(re.fullmatch(DOWNLOAD_FILE, name)) and name not in hosting.INLINE_DOWNLOADS


def attachment(name: str) -> str:
    """The Content-Disposition of a download, as the server writes it (Starlette).

    >>> attachment("kgx/ketamine-kg_edges.tsv")
    'attachment; filename="ketamine-kg_edges.tsv"'
    """
    return f'attachment; filename="{name.rsplit("/", 1)[-1]}"'
