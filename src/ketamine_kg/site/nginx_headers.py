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

from ketamine_kg.site.hosting_headers import (
    ATTACHMENT,
    CACHE,
    CORS,
    DOWNLOAD_FILE,
    INLINE_DOWNLOADS,
    PREFLIGHT_MAX_AGE,
    Published,
    download_links,
    landing_links,
    thing_file,
    thing_links,
)

_SERVED = "~^(?:200|206|304):/"
_ORIGIN = "Access-Control-Allow-Origin"


def _quoted(value: str) -> str:
    """An nginx string in single quotes (the link values hold double quotes)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def nginx_header_maps(release: Published) -> list[str]:
    """The `map` blocks (http context) that compute the header variables."""
    cors_rest = [name for name in CORS if name != _ORIGIN]
    lines = [
        "# CORS as the server sends it: on everything but an HTML page.",
        'map "$status:$sent_http_content_type" $kkg_cors {',
        f'    default "{CORS[_ORIGIN]}";',
        '    "~*^200:text/html" "";',
        "}",
    ]
    for name in cors_rest:
        variable = "$kkg_" + name.lower().replace("-", "_")
        lines += [f"map $kkg_cors {variable} {{", '    "" "";', f'    default "{CORS[name]}";', "}"]
    lines += [
        "map $request_method $kkg_preflight {",
        '    default "";',
        f"    OPTIONS {PREFLIGHT_MAX_AGE};",
        "}",
        "# Cache-Control on files and redirects (not on errors).",
        "map $status $kkg_cache {",
        '    default "";',
        f'    "~^[23]" "{CACHE}";',
        "}",
        "# FAIR Signposting: a thing's page or document, the landing page, a download.",
        'map "$status:$uri" $kkg_link {',
        '    default "";',
        f'    "{_SERVED}index\\.html$" {_quoted(landing_links(release))};',
        f'    "{_SERVED}{thing_file("?<kkg_t>")}$" {_quoted(thing_links("$kkg_t", release))};',
        f'    "{_SERVED}{DOWNLOAD_FILE}$" {_quoted(download_links(release))};',
        "}",
        "# Downloads open as files (not the JSON-LD context, which documents load).",
        'map "$status:$uri" $kkg_disposition {',
        '    default "";',
        *(f'    "{_SERVED}{re.escape(name)}$" "";' for name in INLINE_DOWNLOADS),
        f'    "{_SERVED}{DOWNLOAD_FILE}$" "{ATTACHMENT}";',
        "}",
    ]
    return lines


def nginx_headers() -> list[str]:
    """The server block's header lines (and the pre-flight answer)."""
    cors = [
        f"    add_header {name} $kkg_{name.lower().replace('-', '_')} always;"
        for name in CORS
        if name != _ORIGIN
    ]
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
