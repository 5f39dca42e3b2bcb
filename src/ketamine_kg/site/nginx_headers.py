"""The headers of hosting_headers.py as nginx configuration: `map`s (http context) that compute
each header from the answer's status, content type and file, and the `add_header` lines of
the server block.

All headers are added once, at the server level, from variables: nginx drops a location's
inherited `add_header`s as soon as it has one of its own, and drops a header whose value is
empty. Locations only `set` `$kkg_vary` and `$kkg_location` (Vary, Content-Location). After
`rewrite … break` `$uri` is the served file's release-relative path (with a leading slash),
so the maps key the file-dependent headers on `"$status:$uri"` and give them only to files
served whole or in part (200, 206, 304), never to redirects or errors.
"""

from __future__ import annotations

import re

from ketamine_kg import iri_space as routes
from ketamine_kg.hosting import CORS, CURRENT, INLINE_DOWNLOADS, VERSIONED
from ketamine_kg.iri_space import PREFIX
from ketamine_kg.site.hosting_headers import (
    DOWNLOAD_FILE,
    PREFLIGHT_MAX_AGE,
    Published,
    document_links,
    download_links,
    thing_file,
    thing_links,
)

_SERVED = "~^(?:200|206|304):/"
_ORIGIN = "Access-Control-Allow-Origin"


def _quoted(value: str) -> str:
    """An nginx string in single quotes (the link values hold double quotes)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _variable(header: str) -> str:
    return "$kkg_" + header.lower().replace("-", "_")


def _links(release: Published) -> list[str]:
    """The Link map's entries: documents in place, a thing's page and documents, downloads."""
    lines = [
        f'    "{_SERVED}(?:{"|".join(map(re.escape, names))})$" {_quoted(header)};'
        for header, names in document_links(release).items()
    ]
    for extensions in (("html",), tuple(e for e in routes.DOCUMENT_TYPES if e != "html")):
        value = thing_links(extensions[0], "$kkg_t", release)
        if value:
            lines.append(f'    "{_SERVED}{thing_file("?<kkg_t>", extensions)}$" {_quoted(value)};')
    downloads = download_links(release)
    if downloads:
        lines.append(f'    "{_SERVED}{DOWNLOAD_FILE}$" {_quoted(downloads)};')
    return lines


def nginx_header_maps(release: Published) -> list[str]:
    """The `map` blocks (http context) that compute the header variables."""
    versioned = re.escape(PREFIX.lstrip("/") + routes.RELEASE_PATH.format(version=release.version))
    inline = "|".join(map(re.escape, INLINE_DOWNLOADS))
    lines = [
        "# CORS as the server sends it: on everything but an HTML page.",
        'map "$status:$sent_http_content_type" $kkg_cors {',
        f'    default "{CORS[_ORIGIN]}";',
        '    "~*^200:text/html" "";',
        "}",
    ]
    for name in CORS:
        if name != _ORIGIN:
            lines += [f"map $kkg_cors {_variable(name)} {{", '    "" "";']
            lines += [f'    default "{CORS[name]}";', "}"]
    lines += [
        "map $request_method $kkg_preflight {",
        '    default "";',
        f"    OPTIONS {PREFLIGHT_MAX_AGE};",
        "}",
        "# Cache-Control as the server's: a week under a version IRI, an hour for the current",
        "# release's files and redirects; none on errors.",
        'map "$status:$request_uri" $kkg_cache {',
        '    default "";',
        f'    "{_SERVED}{versioned}/." "{VERSIONED}";',
        f'    "~^[23]" "{CURRENT}";',
        "}",
        "# FAIR Signposting (signposting.py, the server's links).",
        'map "$status:$uri" $kkg_link {',
        '    default "";',
        *_links(release),
        "}",
        "# Downloads open as files (not the JSON-LD context, which documents load).",
        'map "$status:$uri" $kkg_disposition {',
        '    default "";',
        f'    "{_SERVED}(?!(?:{inline})$)(?={DOWNLOAD_FILE}$)(?:.*/)?(?<kkg_name>[^/]+)$" '
        "'attachment; filename=\"$kkg_name\"';",
        "}",
    ]
    return lines


#: The headers `nginx_headers` adds (an answer proxied from `serve` hides serve's own).
ADDED_HEADERS = (
    "Vary",
    "Content-Location",
    *CORS,
    "Access-Control-Max-Age",
    "Cache-Control",
    "Link",
    "Content-Disposition",
)


def nginx_headers() -> list[str]:
    """The server block's header lines (and the pre-flight answer)."""
    cors = [f"    add_header {name} {_variable(name)} always;" for name in CORS if name != _ORIGIN]
    return [
        '    set $kkg_vary "";',
        '    set $kkg_location "";',
        "    if ($request_method = OPTIONS) {",
        "        return 204;",
        "    }",
        "    add_header Vary $kkg_vary always;",
        "    add_header Content-Location $kkg_location;",
        f"    add_header {_ORIGIN} $kkg_cors always;",
        *cors,
        "    add_header Access-Control-Max-Age $kkg_preflight always;",
        "    add_header Cache-Control $kkg_cache always;",
        "    add_header Link $kkg_link;",
        "    add_header Content-Disposition $kkg_disposition;",
    ]
