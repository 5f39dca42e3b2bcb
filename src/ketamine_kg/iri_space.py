"""The routing table of the IRI space: which file of the release answers a request.

The release directory is also the documentation website: its files sit where the IRI base
`https://w3id.org/ketamine-kg/` (served under `/ketamine-kg/`) puts them, so it can be browsed
from disk, served by `ketamine-kg serve` or copied to any static host. One table serves the
HTTP server (linkeddata.py) and the static-hosting redirect rules (redirects.py), so both
answer the same Accept-header matrix the same way. Paths are relative to the IRI base:

- things (`id/…`, `vocab/…`) answer 303 See Other to `<path>.<ext>`, the document chosen by
  the Accept header;
- documents (`""`, the dataset, whose document stem is `index`; `ontology`; `shapes`) are
  served directly, negotiated, with a Content-Location header naming `<stem>.<ext>`;
- the version IRIs of the current release (`release/<version>` and `release/<version>/ontology`)
  answer 303 to the current documents; `release/<version>/<file>` is a release file;
- anything else with an extension is a file of the release.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from ketamine_kg import conneg, formats
from ketamine_kg.config import BASE

#: Served document formats: extension -> media type, in the server's order of preference.
DOCUMENT_TYPES = {f.extension: f.media_type for f in formats.NEGOTIATED_FORMATS}
#: Other media types that ask for a document format (extension -> media types): plain JSON
#: gets the JSON-LD, served with its own media type all the same.
DOCUMENT_ALIASES = {
    f.extension: f.media_aliases for f in formats.NEGOTIATED_FORMATS if f.media_aliases
}
#: The 406 text (server and generated rules).
NOT_ACCEPTABLE = "Not Acceptable: this resource is available as " + ", ".join(
    DOCUMENT_TYPES.values()
)
#: The IRI base's path, under which the server and a static host serve the release.
PREFIX = urlsplit(BASE).path
#: The SPARQL endpoint's path under the base (VoID's void:sparqlEndpoint).
ENDPOINT_PATH = "sparql"
#: Documents negotiated in place: IRI path -> document stem in the site.
DOCUMENTS = {"": "index", "ontology": "ontology", "shapes": "shapes"}
#: Path prefixes of things (non-information resources) answered with 303.
THING_PREFIXES = ("id/", "vocab/")
#: A thing's path: a prefix, then one or two slugs (a regex, also used by the redirect rules).
THING_PATH = "(?:" + "|".join(map(re.escape, THING_PREFIXES)) + ")[a-z0-9-]+(?:/[a-z0-9-]+)?"
#: The version IRI of a release (its files are under it), relative to the IRI base.
RELEASE_PATH = "release/{version}"
#: Version IRIs answered with 303 to a current document: suffix of RELEASE_PATH -> stem.
VERSIONED = {"": "index", "/ontology": "ontology"}
#: Pages of hash-IRI terms live in a folder named after their document.
TERM_FOLDERS = {"ontology": "ontology", "shapes": "shapes"}

#: Release files by extension, as served for download (from the format records).
FILE_TYPES = {f".{f.extension}": f.served_type for f in formats.FILE_FORMATS}
#: Release files without an extension, with their media types.
SPECIAL_FILES = {name: f.served_type for name, f in formats.SPECIAL_FILES.items()}
#: What a file of no known format is served as (the build refuses such files; an older
#: release may still hold one).
UNKNOWN_TYPE = "application/octet-stream"

_THING = re.compile(THING_PATH)


@dataclass(frozen=True)
class Route:
    """What to do with a request: answer `status` with `location`, or serve `file`.

    `file` is relative to the release directory; `location` to the IRI base.
    """

    status: int
    file: str | None = None
    location: str | None = None  # relative to the IRI base
    media: str | None = None
    negotiated: bool = False


def accepted(ext: str) -> tuple[str, ...]:
    """The media types that ask for the document format `ext`: its own, then its aliases.

    >>> accepted("jsonld")
    ('application/ld+json', 'application/json')
    """
    return (DOCUMENT_TYPES[ext], *DOCUMENT_ALIASES.get(ext, ()))


def negotiate(accept: str | None) -> str | None:
    """The document extension the Accept header prefers, or None (406).

    A format's q is the highest of its media types' (`accepted`); ties go to the server's order.

    >>> negotiate("application/json")
    'jsonld'
    """
    offered = {media: ext for ext in DOCUMENT_TYPES for media in accepted(ext)}
    media = conneg.negotiate(accept, list(offered))
    return offered[media] if media else None


@lru_cache
def version_redirects(version: str) -> dict[str, str]:
    """The version IRIs of `version` (relative paths) -> the stem of the document they 303 to."""
    release = RELEASE_PATH.format(version=version)
    return {release + suffix: stem for suffix, stem in VERSIONED.items()}


def route(path: str, accept: str | None, version: str) -> Route:
    """The route for `path` (relative to the IRI base, no leading slash).

    >>> route("id/drug/ketamine", "text/turtle", "1.0").location
    'id/drug/ketamine.ttl'
    >>> route("ontology", "text/html", "1.0").file
    'ontology.html'
    >>> route("release/1.0/ontology", "application/rdf+xml", "1.0").location
    'ontology.rdf'
    >>> route("id/drug/ketamine.jsonld", None, "1.0").file
    'id/drug/ketamine.jsonld'
    >>> route("release/1.0/kgx/ketamine-kg_edges.tsv", None, "1.0").media
    'text/tab-separated-values'
    """
    versioned = RELEASE_PATH.format(version=version)
    redirected = version_redirects(version)
    if path in DOCUMENTS or _THING.fullmatch(path) or path in redirected:
        ext = negotiate(accept)
        if ext is None:
            return Route(406, negotiated=True)
        if path in DOCUMENTS:
            stem = DOCUMENTS[path]
            return Route(200, file=f"{stem}.{ext}", media=DOCUMENT_TYPES[ext], negotiated=True)
        if path in redirected:
            return Route(303, location=f"{redirected[path]}.{ext}", negotiated=True)
        return Route(303, location=f"{path}.{ext}", file=f"{path}.html", negotiated=True)
    if path.startswith(versioned + "/"):
        name = path.removeprefix(versioned + "/")
        return Route(200, file=name, media=release_media(name))
    if ".." in path.split("/"):
        return Route(404)
    return Route(200, file=path, media=release_media(path))


def release_media(name: str) -> str:
    """The media type a release file is served with."""
    found = formats.for_file(name)
    return found.served_type if found else UNKNOWN_TYPE


@lru_cache(maxsize=1 << 16)
def document_stem(iri: str) -> str | None:
    """The release-relative stem of the document that describes a minted IRI.

    >>> document_stem("https://w3id.org/ketamine-kg/vocab/use-status/approved")
    'vocab/use-status/approved'
    >>> document_stem("https://w3id.org/ketamine-kg/ontology#Drug")
    'ontology'
    >>> document_stem("https://w3id.org/ketamine-kg/")
    'index'
    """
    if not iri.startswith(BASE):
        return None
    path = urlsplit(iri).path.removeprefix(PREFIX)
    if path in DOCUMENTS:
        return DOCUMENTS[path]
    return path if _THING.fullmatch(path) else None


@lru_cache(maxsize=1 << 16)
def page_path(iri: str) -> str | None:
    """The release-relative path of a minted IRI's HTML page (hash-IRI terms have their own).

    >>> page_path("https://w3id.org/ketamine-kg/ontology#Drug")
    'ontology/Drug.html'
    >>> page_path("https://w3id.org/ketamine-kg/id/claim/ketamine-ptsd")
    'id/claim/ketamine-ptsd.html'
    >>> page_path("https://example.org/x") is None
    True
    """
    stem = document_stem(iri)
    if stem is None:
        return None
    fragment = urlsplit(iri).fragment
    if fragment and stem in TERM_FOLDERS:
        return f"{TERM_FOLDERS[stem]}/{fragment}.html"
    return f"{stem}.html"


def relative(target: str, here: str) -> str:
    """A link from the page `here` to the file `target` (both release-relative).

    What `posixpath.relpath` answers, by string operations on normal paths (a site renders
    hundreds of thousands of links; relpath makes both paths absolute first).

    >>> relative("vocab/use-status/approved.html", "id/claim/ketamine-ptsd.html")
    '../../vocab/use-status/approved.html'
    >>> relative("index.html", "index.html")
    'index.html'
    """
    folder = here.rpartition("/")[0]  # posixpath.dirname, for a normal path
    steps = target.split("/")
    base = folder.split("/") if folder else []
    if _ABNORMAL.intersection(steps) or _ABNORMAL.intersection(base) or here.startswith("/"):
        return posixpath.relpath(target, posixpath.dirname(here) or ".")
    shared = 0
    for a, b in zip(steps, base, strict=False):
        if a != b:
            break
        shared += 1
    return "/".join([".."] * (len(base) - shared) + steps[shared:]) or "."


#: Path steps that `relative` leaves to `posixpath.relpath`.
_ABNORMAL = frozenset(("", ".", ".."))
