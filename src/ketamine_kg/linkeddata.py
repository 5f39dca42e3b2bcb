"""Dereferenceable IRIs and release downloads.

Slash IRIs (…/id/<kind>/<slug>, …/vocab/<scheme>[/<concept>]) are things, not documents: a
GET answers 303 See Other to the document `<path>.<ext>` chosen by the Accept header. The
ontology (hash IRIs, …/ontology#Term) is itself a document and is served directly with
content negotiation. Documents carry `Vary: Accept` where negotiated.
"""

from __future__ import annotations

import hashlib
from email.utils import formatdate
from pathlib import Path

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from . import conneg
from .namespaces import PREFIXES

BASE = "https://w3id.org"
DOCUMENT_TYPES = {
    "html": "text/html",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}
RDF_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdf": ox.RdfFormat.RDF_XML,
}
EXTENSION_OF = {media: ext for ext, media in DOCUMENT_TYPES.items()}
#: Release files and their media types.
FILE_TYPES = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".nq": "application/n-quads",
    ".jsonld": "application/ld+json",
    ".owl": "application/rdf+xml",
    ".tsv": "text/tab-separated-values",
    ".json": "application/schema+json",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}
ONTOLOGY_PATH = "/ketamine-kg/ontology"


def not_acceptable() -> Response:
    offered = ", ".join(DOCUMENT_TYPES.values())
    return PlainTextResponse(
        f"Not Acceptable: this resource is available as {offered}.\n",
        406,
        headers={"Vary": "Accept"},
    )


def _document(
    store: ox.Store, iri: str, ext: str, ontology_triples: list[ox.Triple]
) -> Response | None:
    from .describe import resource_triples
    from .pages import resource_html

    if ext == "html":
        page = resource_html(store, iri)
        return HTMLResponse(page) if page is not None else None
    triples = ontology_triples if iri == BASE + ONTOLOGY_PATH else resource_triples(store, iri)
    if not triples:
        return None
    prefixes = PREFIXES if RDF_FORMATS[ext] in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    body = ox.serialize(triples, format=RDF_FORMATS[ext], prefixes=prefixes)
    return Response(body, media_type=DOCUMENT_TYPES[ext])


def resource(request: Request, store: ox.Store, ontology_triples: list[ox.Triple]) -> Response:
    """GET /ketamine-kg/…: a document by extension, else 303 (things) or conneg (ontology)."""
    path = request.url.path
    stem, dot, ext = path.rpartition(".")
    if dot and ext in DOCUMENT_TYPES and "/" not in ext:
        response = _document(store, BASE + stem, ext, ontology_triples)
        return response or PlainTextResponse(f"Not Found: no resource <{BASE + stem}>.\n", 404)
    media = conneg.negotiate(request.headers.get("accept"), list(DOCUMENT_TYPES.values()))
    if media is None:
        return not_acceptable()
    ext = EXTENSION_OF[media]
    if path == ONTOLOGY_PATH:
        response = _document(store, BASE + path, ext, ontology_triples)
        response.headers["Vary"] = "Accept"
        response.headers["Content-Location"] = f"{path}.{ext}"
        return response
    from .describe import is_known

    if not is_known(store, BASE + path):
        return PlainTextResponse(f"Not Found: no resource <{BASE + path}>.\n", 404)
    return RedirectResponse(f"{path}.{ext}", status_code=303, headers={"Vary": "Accept"})


class Downloads:
    """The release's files, by the names listed in SHA256SUMS (nothing else is ever served)."""

    def __init__(self, release_dir: Path) -> None:
        self.release_dir = release_dir.resolve()
        self.checksums: dict[str, str] = {}
        for line in (self.release_dir / "SHA256SUMS").read_text().splitlines():
            digest, name = line.split("  ", 1)
            self.checksums[name] = digest
        self.checksums["SHA256SUMS"] = hashlib.sha256(
            (self.release_dir / "SHA256SUMS").read_bytes()
        ).hexdigest()
        self.last_modified = formatdate(
            max(p.stat().st_mtime for p in self.release_dir.rglob("*")), usegmt=True
        )

    def response(self, request: Request, name: str) -> Response:
        digest = self.checksums.get(name)
        if digest is None:
            return PlainTextResponse(f"Not Found: {name!r} is not a file of this release.\n", 404)
        etag = f'"{digest}"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        media = FILE_TYPES.get(Path(name).suffix, "application/octet-stream")
        if name == "SHA256SUMS":
            media = "text/plain; charset=utf-8"
        return FileResponse(
            self.release_dir / name,
            media_type=media,
            headers={"ETag": etag, "Last-Modified": self.last_modified},
        )

    def listing(self) -> HTMLResponse:
        rows = "".join(
            f'<tr><td><a href="/downloads/{n}">{n}</a></td>'
            f"<td>{(self.release_dir / n).stat().st_size}</td><td><code>{d}</code></td></tr>"
            for n, d in sorted(self.checksums.items())
        )
        head = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        return HTMLResponse(
            f"{head}<title>ketamine-kg downloads</title></head><body><h1>Release files</h1>"
            f"<table><tr><th>file</th><th>bytes</th><th>SHA-256</th></tr>{rows}</table></body></html>"
        )
