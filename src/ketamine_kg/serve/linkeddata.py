"""Dereferenceable IRIs and release downloads, answered from the release's files.

The release directory is also the website (see iri_space.py): thing IRIs (…/id/…, …/vocab/…)
answer 303 See Other to the document chosen by the Accept header; documents (the dataset, the
ontology, the shapes) are negotiated in place with Content-Location; every other path is a file
of the release. Only files listed in SHA256SUMS are ever served.
"""

from __future__ import annotations

import hashlib
from email.utils import formatdate

from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from ketamine_kg import iri_space as routes
from ketamine_kg.release.directory import CHECKSUMS, ReleaseDir

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
    missing = route.file is not None and route.file not in downloads.checksums
    if missing or route.status not in (200, 303):
        not_found = f"Not Found: no resource <{routes.BASE}{path}>.\n"
        return PlainTextResponse(not_found, 404, headers=vary)
    if route.status == 303 and route.location is not None:
        return RedirectResponse(PREFIX + route.location, status_code=303, headers=vary)
    if route.file is None:  # a 200 route always names its file
        raise ValueError(f"route for {path!r} names no file")
    response = downloads.response(request, route.file, route.media)
    response.headers.update(vary)
    if route.negotiated:
        response.headers["Content-Location"] = PREFIX + route.file
    return response


class Downloads:
    """The release's files, by the names listed in SHA256SUMS (nothing else is ever served)."""

    def __init__(self, release: ReleaseDir) -> None:
        self.release_dir = release.path.resolve()
        sums = release.require(CHECKSUMS).read_bytes()
        self.checksums: dict[str, str] = {}
        for line in sums.decode("utf-8").splitlines():
            digest, name = line.split("  ", 1)
            self.checksums[name] = digest
        self.checksums[CHECKSUMS] = hashlib.sha256(sums).hexdigest()
        self.last_modified = formatdate(
            max(p.stat().st_mtime for p in self.release_dir.rglob("*")), usegmt=True
        )

    def response(self, request: Request, name: str, media: str | None = None) -> Response:
        """The file `name` (404 unless listed), with ETag/304 and its media type."""
        digest = self.checksums.get(name)
        if digest is None:
            return PlainTextResponse(f"Not Found: {name!r} is not a file of this release.\n", 404)
        etag = f'"{digest}"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return FileResponse(
            self.release_dir / name,
            media_type=media or routes.release_media(name),
            headers={"ETag": etag, "Last-Modified": self.last_modified},
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
            f"<table><tr><th>file</th><th>bytes</th><th>SHA-256</th></tr>{rows}</table></body></html>"
        )
