"""Dereferenceable IRIs and release downloads, answered from the release's files.

The release directory is also the website (see iri_space.py): thing IRIs (…/id/…, …/vocab/…)
answer 303 See Other to the document chosen by the Accept header; documents (the dataset, the
ontology, the shapes) are negotiated in place with Content-Location; every other path is a file
of the release. Only files listed in SHA256SUMS are ever served. Each file carries its FAIR
Signposting links (signposting.py), its validators (caching.py) and lifetime (hosting.py) and,
if it is one of the release's downloads, `Content-Disposition: attachment`.
"""

from __future__ import annotations

import hashlib
import posixpath

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from ketamine_kg import hosting, signposting
from ketamine_kg import iri_space as routes
from ketamine_kg.release.directory import CHECKSUMS, ReleaseDir
from ketamine_kg.serve import caching
from ketamine_kg.serve.derived import DerivedDocuments

PREFIX = routes.PREFIX


def not_acceptable() -> Response:
    """406, naming the formats offered."""
    return PlainTextResponse(routes.NOT_ACCEPTABLE + "\n", 406, headers={"Vary": "Accept"})


def resource(request: Request, downloads: Downloads, version: str) -> Response:
    """GET /ketamine-kg/…: the routing table's answer, from the release's files."""
    path = request.path_params["path"]
    route = routes.route(path, request.headers.get("accept"), version)
    vary = {"Vary": "Accept"} if route.negotiated else {}
    if route.status == 406:
        return not_acceptable()
    missing = route.file is not None and not downloads.has(route.file)
    if missing or route.status not in (200, 303):
        not_found = f"Not Found: no resource <{routes.BASE}{path}>.\n"
        return PlainTextResponse(not_found, 404, headers=vary)
    if route.status == 303 and route.location is not None:
        headers = {**vary, "Cache-Control": hosting.CURRENT}
        return RedirectResponse(PREFIX + route.location, status_code=303, headers=headers)
    if route.file is None:  # a 200 route always names its file
        raise ValueError(f"route for {path!r} names no file")
    headers = {**vary}
    if route.negotiated:
        headers["Content-Location"] = PREFIX + route.file
    versioned = path.startswith(routes.RELEASE_PATH.format(version=version) + "/")
    lifetime = hosting.VERSIONED if versioned else hosting.CURRENT
    return downloads.response(request, route.file, route.media, lifetime, headers)


class Downloads:
    """The release's files, by the names listed in SHA256SUMS, and the documents a large
    release leaves to the server (derived.py); nothing else is ever served.
    """

    def __init__(self, release: ReleaseDir, metadata: list[ox.Triple]) -> None:
        self.release_dir = release.path.resolve()
        sums = release.require(CHECKSUMS).read_bytes()
        self.checksums: dict[str, str] = {}
        for line in sums.decode("utf-8").splitlines():
            digest, name = line.split("  ", 1)
            self.checksums[name] = digest
        self.checksums[CHECKSUMS] = hashlib.sha256(sums).hexdigest()
        self.last_modified = caching.release_date(metadata)
        self.signposts = signposting.ReleaseFacts.read(metadata)
        self.derived = DerivedDocuments(self.release_dir, self.checksums)

    def has(self, name: str) -> bool:
        """Whether `name` is served: a listed file or a document made from one."""
        return name in self.checksums or self.derived.source(name) is not None

    def response(
        self,
        request: Request,
        name: str,
        media: str | None = None,
        lifetime: str = hosting.CURRENT,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """The file `name` (404 unless `has` it) with its media type, validators (304),
        `lifetime` (Cache-Control), signposts and, for a download, Content-Disposition.
        """
        digest, made = self.checksums.get(name), None
        if digest is None and self.derived.source(name) is not None:
            made = self.derived.document(name)
            digest = hashlib.sha256(made).hexdigest()
        if digest is None:
            return PlainTextResponse(f"Not Found: {name!r} is not a file of this release.\n", 404)
        media = media or routes.release_media(name)
        etag = f'"{digest}"'
        headers = {
            **(headers or {}),
            "ETag": etag,
            "Last-Modified": self.last_modified,
            "Cache-Control": lifetime,
        }
        if caching.fresh(request, etag, self.last_modified):
            return caching.not_modified(headers)
        links = signposting.header(signposting.links(name, self.signposts))
        if links:
            headers["Link"] = links
        download = (
            name in self.signposts.distributions and name not in hosting.INLINE_DOWNLOADS
        ) or (request.url.path.startswith("/downloads/") and not media.startswith("text/html"))
        if made is not None:
            return Response(made, media_type=media, headers=headers)
        return FileResponse(
            self.release_dir / name,
            media_type=media,
            headers=headers,
            filename=posixpath.basename(name) if download else None,
        )

    def listing(self) -> HTMLResponse:
        """An HTML table of every file, linking to /downloads/."""
        rows = "".join(
            f'<tr><td><a href="/downloads/{n}">{n}</a></td>'
            f"<td>{(self.release_dir / n).stat().st_size}</td><td><code>{d}</code></td></tr>"
            for n, d in sorted(self.checksums.items())
        )
        head = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        return HTMLResponse(
            f"{head}<title>ketamine-kg downloads</title></head><body><h1>Release files</h1>"
            f"<table><tr><th>file</th><th>bytes</th><th>SHA-256</th></tr>{rows}</table></body></html>",
            headers={"Cache-Control": hosting.CURRENT},
        )
