"""Redirect rules for static hosting, generated from the routing table (iri_space.py).

`htaccess(target, version)` is the w3id.org side: an Apache `.htaccess` for the `ketamine-kg/`
folder of the perma-id/w3id.org repository that redirects every IRI to the static host at
`target`. `nginx(version, root)` is the static-host side: a `map` and a `server` block that
serve the release directory under the IRI base's path (`/ketamine-kg/`) with the same routes
as `ketamine-kg serve`. Both are built from iri_space.py's tables (DOCUMENT_TYPES, DOCUMENTS,
THING_PATH, RELEASE_PATH, VERSIONED, FILE_TYPES, SPECIAL_FILES), so a change there changes
the rules.

Content negotiation is an ordered list of regular expressions over the Accept header
(`accept_rules`): the first match names the document extension, no match is 406. A regex
cannot compare numbers, so q-values are compared by their first decimal digit only: the rules
go through the tiers q >= 1, 0.9 <= q < 1, ..., 0.1 <= q < 0.2, 0 < q < 0.1, and within a tier
try the formats in the server's order of preference. Everything else matches routes.negotiate:
a media type's q is that of the most specific range naming it (type, type/*, */*), a format's
the highest of its media types' (`routes.accepted`: JSON-LD is also asked for as
application/json), q=0 excludes,
parameters other than q are ignored, a missing or blank header counts as */*. See
docs/hosting.md for the limits.
"""

from __future__ import annotations

import re

from ketamine_kg import iri_space as routes
from ketamine_kg.config import BASE
from ketamine_kg.exports import metadata
from ketamine_kg.release.directory import NOT_FOUND, ROBOTS, ReleaseDir
from ketamine_kg.site.apache_host import apache_headers
from ketamine_kg.site.hosting_headers import MADE_DOCUMENT, Published
from ketamine_kg.site.nginx_headers import ADDED_HEADERS, nginx_header_maps, nginx_headers

PREFIX = routes.PREFIX
NO_ENDPOINT = (
    "Not Found: this static host has no SPARQL endpoint "
    "(generate the rules with --sparql URL to redirect to one)."
)

_OTHER_PARAMS = r"(?:\s*;(?!\s*q\s*=)[^;,]*)*"
_END = r"\s*(?:,|$)"
#: q-value tiers, highest first: q >= 1 (the server caps q at 1), then one per tenth, then
#: 0 < q < 0.1. q = 0 is in none, so it excludes.
Q_TIERS = (
    r"[1-9]\d*(?:\.\d*)?",
    *(rf"0?\.{digit}\d*" for digit in range(9, 0, -1)),
    r"0?\.0+[1-9]\d*",
)


def _element(media_range: str, q: str, implicit: bool) -> str:
    """Lookahead body: `media_range` is in the header with a q-value matching `q`."""
    start = r"(?:.*,)?\s*" + re.escape(media_range) + _OTHER_PARAMS
    explicit = start + rf"\s*;\s*q\s*=\s*(?:{q})\s*(?:;[^,]*)?(?:,|$)"
    return f"(?:{explicit}|{start}{_END})" if implicit else explicit


def _named(media_range: str) -> str:
    """Lookahead body: `media_range` is in the header, with any q-value."""
    return r"(?:.*,)?\s*" + re.escape(media_range) + r"\s*(?:[;,]|$)"


def accept_rules() -> list[tuple[str, str]]:
    """Ordered (regex, extension) pairs over a non-blank Accept header; the first match wins.

    Case-insensitive PCRE (nginx `~*`, Apache `[NC]`; Python's `re` reads them the same).

    >>> rules = accept_rules()
    >>> len(rules) == len(Q_TIERS) * len(routes.DOCUMENT_TYPES)
    True
    >>> accept = "text/turtle;q=0.5, application/ld+json"
    >>> next(ext for rx, ext in rules if re.match(rx, accept, re.I))
    'jsonld'
    """
    rules = []
    for tier, q in enumerate(Q_TIERS):
        for ext in routes.DOCUMENT_TYPES:
            tiers = "|".join(_in_tier(media, q, tier == 0) for media in routes.accepted(ext))
            rules.append((f"^(?:{tiers})", ext))
    return rules


def _in_tier(media: str, q: str, implicit: bool) -> str:
    """Alternatives (anchored by the caller): the q of `media` matches `q`."""
    family = media.split("/")[0] + "/*"
    return (
        f"(?={_element(media, q, implicit)})"
        f"|(?!{_named(media)})(?={_element(family, q, implicit)})"
        f"|(?!{_named(media)})(?!{_named(family)})(?={_element('*/*', q, implicit)})"
    )


def _documents(version: str) -> dict[str, str]:
    """Negotiated paths other than things -> the stem of their document."""
    return {**routes.DOCUMENTS, **routes.version_redirects(version)}


_NEGOTIATION_COMMENT = (
    "# The document format the Accept header prefers, negotiated as the server does but with",
    f"# q-values compared to one decimal (ties: {', '.join(routes.DOCUMENT_TYPES)});",
    "# empty: nothing acceptable.",
)


def htaccess(target: str, version: str, sparql: str | None = None) -> str:
    """The w3id.org `.htaccess`: every IRI under the base redirects to the static host `target`.

    Things, documents and version IRIs answer 303 to `<target><stem>.<ext>` with the
    extension negotiated from Accept (406 if none), `Vary: Accept`; the endpoint IRI
    `…/sparql` answers 307 (a POST stays a POST) to `sparql` (default: `<target>sparql`, where
    `ketamine-kg serve` answers); release files and any other path answer 302 to the file on
    the static host.

    >>> rules = htaccess("https://example.org/kkg/", "1.0").splitlines()
    >>> print(next(line for line in rules if line.startswith("RewriteRule ^ontology$")))
    RewriteRule ^ontology$ https://example.org/kkg/ontology.%{ENV:KKG_EXT} [E=KKG_VARY:1,R=303,L]
    """
    # Follows the perma-id/w3id.org conventions: README.md ("Creating a New Identifier": a
    # folder with .htaccess and README.md) and ppop/.htaccess (Options -MultiViews,
    # RewriteCond %{HTTP_ACCEPT} ... then RewriteRule ... [R=303,NE,L], a default rule last).
    # Here the Accept header is matched once into KKG_EXT, then every route uses it.
    target = target.rstrip("/") + "/"
    documents = _documents(version)
    anchor = "^(?:" + "|".join([routes.THING_PATH, *map(re.escape, documents)]) + ")$"
    lines = [
        f"# ketamine-kg: permanent identifiers under {BASE}",
        f"# Generated by `ketamine-kg redirects htaccess` for release {version}; do not edit.",
        f"# The documents and release files are hosted at {target}",
        "",
        "Options +FollowSymLinks -MultiViews",
        "RewriteEngine on",
        "",
        *apache_headers(),
        "",
        *_NEGOTIATION_COMMENT,
        r"RewriteCond %{HTTP_ACCEPT} ^\s*$ [NV]",
        f"RewriteRule ^ - [E=KKG_EXT:{routes.negotiate(None)}]",
    ]
    for regex, ext in accept_rules():
        lines += [
            "RewriteCond %{ENV:KKG_EXT} ^$",
            f"RewriteCond %{{HTTP_ACCEPT}} {regex} [NC,NV]",
            f"RewriteRule ^ - [E=KKG_EXT:{ext}]",
        ]
    lines += [
        "",
        "# Negotiated IRIs vary by Accept; with nothing acceptable they are 406.",
        'Header always set Vary Accept "env=KKG_VARY"',
        "RewriteCond %{ENV:KKG_EXT} ^$",
        f"RewriteRule {anchor} - [E=KKG_VARY:1,R=406,L]",
        "",
        "# Things, then documents and version IRIs: 303 to the document in that format.",
        f"RewriteRule ^({routes.THING_PATH})$ {target}$1.%{{ENV:KKG_EXT}} [E=KKG_VARY:1,R=303,L]",
        *(
            f"RewriteRule ^{re.escape(path)}$ {target}{stem}.%{{ENV:KKG_EXT}} "
            "[E=KKG_VARY:1,R=303,L]"
            for path, stem in documents.items()
        ),
    ]
    release = re.escape(routes.RELEASE_PATH.format(version=version))
    lines += [
        "",
        "# The SPARQL endpoint IRI (VoID's void:sparqlEndpoint): 307 keeps the method and body.",
        f"RewriteRule ^{routes.ENDPOINT_PATH}$ {sparql or target + routes.ENDPOINT_PATH} [R=307,L]",
        "",
        "# Files of this release, and any other path: the file on the static host.",
        f"RewriteRule ^{release}/(.+)$ {target}$1 [R=302,L]",
        f"RewriteRule ^(.+)$ {target}$1 [R=302,L]",
        "",
    ]
    return "\n".join(lines)


def nginx(
    version: str,
    root: str = "/srv/ketamine-kg",
    listen: str = "80",
    sparql: str | None = None,
    release: Published | None = None,
    serve_url: str | None = None,
) -> str:
    """An nginx `map`s and a `server` block serving the release directory `root` under PREFIX.

    For the http context (e.g. /etc/nginx/conf.d/ketamine-kg.conf). Things answer 303 to
    `<path>.<ext>` (404 if the thing has no page), documents are served in place with
    Content-Location, version IRIs answer 303, release files are served under their version.
    The endpoint path `…/sparql` answers 307 to `sparql` if given, else 404 saying so. Every
    answer carries the headers of hosting_headers.py (`release`: its licence and dumps); a
    dump goes gzipped to clients that accept it; a missing file is the 404 page. With
    `serve_url` (a `ketamine-kg serve` of the release), a thing's JSON-LD, N-Triples or
    RDF/XML that is not on disk (a large release writes Turtle only) is asked of that server.

    >>> conf = nginx("1.0", root="/srv/out", listen="8080")
    >>> "location = /ketamine-kg/release/1.0/ontology {" in conf
    True
    """
    release = release or Published(version)
    lines = [
        f"# ketamine-kg: the release directory served as {BASE} (under {PREFIX}).",
        f"# Generated by `ketamine-kg redirects nginx` for release {version}; do not edit.",
        "",
        *_NEGOTIATION_COMMENT,
        "map $http_accept $kkg_ext {",
        '    default "";',
        f'    "" {routes.negotiate(None)};',
        f'    "~^\\s*$" {routes.negotiate(None)};',
    ]
    lines += [f'    "~*{regex}" {ext};' for regex, ext in accept_rules()]
    lines += [
        "}",
        "# Requests for a thing (negotiated: their answers vary by Accept, the 404 page too).",
        "map $request_uri $kkg_thing_request {",
        '    default "";',
        f'    "~^{re.escape(PREFIX)}{routes.THING_PATH}(?:\\?.*)?$" Accept;',
        "}",
        "",
        *nginx_header_maps(release),
    ]
    by_media: dict[str, list[str]] = {}
    for suffix, media in routes.FILE_TYPES.items():
        by_media.setdefault(media, []).append(suffix.removeprefix("."))
    versioned = routes.RELEASE_PATH.format(version=version)
    lines += [
        "",
        "server {",
        f"    listen {listen};",
        f"    root {root};  # the release directory",
        "    absolute_redirect off;",
        "    default_type application/octet-stream;",
        "    types {",
        *(f'        "{media}" {" ".join(exts)};' for media, exts in by_media.items()),
        "    }",
        *nginx_headers(),
        "",
        "    location / {",
        "        return 404;",
        "    }",
        f"    location = {PREFIX.rstrip('/')} {{",
        f"        return 301 {PREFIX};",
        "    }",
        "    # For browsers: the site's 404 page; crawlers: robots.txt at the host's root.",
        f"    error_page 404 /{NOT_FOUND};",
        f"    location = /{NOT_FOUND} {{",
        "        internal;",
        "        set $kkg_vary $kkg_thing_request;  # a missing thing's 404 varies by Accept",
        "    }",
        f"    location = /{ROBOTS} {{",
        "    }",
        "    # Any other path: the file of that name (never a directory); a dump gzipped if the",
        "    # client accepts gzip (its .gz copy, gzip_static).",
        f"    location {PREFIX} {{",
        f"        rewrite ^{re.escape(PREFIX)}(.*[^/])$ /$1 break;",
        "        return 404;",
        "        gzip_static on;",
        "        gzip_vary on;",
        "        try_files $uri =404;",
        "    }",
    ]
    if serve_url:
        lines += _made_by_serve(serve_url)
    for name, media in routes.SPECIAL_FILES.items():
        where = f"^{re.escape(PREFIX)}(?:{re.escape(versioned)}/)?{re.escape(name)}$"
        lines += [
            f'    location ~ "{where}" {{',
            f'        default_type "{media}";',
            f"        rewrite ^ /{name} break;",
            "        try_files $uri =404;",
            "    }",
        ]
    lines += [f"    location = {PREFIX}{routes.ENDPOINT_PATH} {{"]
    if sparql:
        lines.append(f"        return 307 {sparql}$is_args$args;")
    else:
        lines += [
            '        default_type "text/plain; charset=utf-8";',
            f'        return 404 "{NO_ENDPOINT}\\n";',
        ]
    lines.append("    }")
    negotiate = [
        "        set $kkg_vary Accept;",
        '        default_type "text/plain; charset=utf-8";',
        '        if ($kkg_ext = "") {',
        f'            return 406 "{routes.NOT_ACCEPTABLE}\\n";',
        "        }",
    ]
    lines += [
        f'    location ~ "^{re.escape(PREFIX)}(?<kkg_thing>{routes.THING_PATH})$" {{',
        *negotiate,
        "        # A thing without a page: the 404 page for a browser, a line of text otherwise.",
        '        set $kkg_missing "";',
        "        if (!-f $document_root/$kkg_thing.html) {",
        "            set $kkg_missing $kkg_ext;",
        "        }",
        "        if ($kkg_missing = html) {",
        "            return 404;",
        "        }",
        '        if ($kkg_missing != "") {',
        f'            return 404 "Not Found: no resource <{BASE}$kkg_thing>.\\n";',
        "        }",
        f"        return 303 {PREFIX}$kkg_thing.$kkg_ext;",
        "    }",
    ]
    for path, stem in _documents(version).items():
        lines += [f"    location = {PREFIX}{path} {{", *negotiate]
        if path in routes.DOCUMENTS:
            lines += [
                f"        set $kkg_location {PREFIX}{stem}.$kkg_ext;",
                f"        rewrite ^ /{stem}.$kkg_ext break;",
            ]
        else:
            lines.append(f"        return 303 {PREFIX}{stem}.$kkg_ext;")
        lines.append("    }")
    lines += [
        f'    location ~ "^{re.escape(PREFIX + versioned)}/(?<kkg_file>.*[^/])$" {{',
        "        rewrite ^ /$kkg_file break;",
        "        gzip_static on;",
        "        gzip_vary on;",
        "        try_files $uri =404;",
        "    }",
        "}",
        "",
    ]
    return "\n".join(lines)


def _made_by_serve(url: str) -> list[str]:
    """Locations that ask `ketamine-kg serve` at `url` for the things' documents a large
    release leaves out (formats.MADE_FROM_TURTLE), with this server's headers, not its own.
    """
    where = f"^{re.escape(PREFIX)}(?<kkg_doc>{MADE_DOCUMENT})$"
    return [
        "    # A large release's things in the syntaxes it leaves to `ketamine-kg serve`.",
        f'    location ~ "{where}" {{',
        "        try_files /$kkg_doc @kkg_made;",
        "    }",
        "    location @kkg_made {",
        *(f"        proxy_hide_header {name};" for name in ADDED_HEADERS),
        f"        proxy_pass {url.rstrip('/')};",
        "    }",
    ]


def release_version(release: ReleaseDir) -> str:
    """The release's version, from its metadata (as the server reads it)."""
    return metadata.release_version(release.metadata())
