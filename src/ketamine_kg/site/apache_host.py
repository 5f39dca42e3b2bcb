"""The `.htaccess` of the release directory on an Apache static host: the files the w3id rules
redirect to, served with the media types, headers and 404 page of hosting_headers.py.

The w3id rules (redirects.htaccess) answer every IRI with a redirect to a file, so the static
host only serves files; nginx (redirects.nginx) does both. Needs mod_rewrite, mod_headers and
mod_mime with `AllowOverride All` (FileInfo, Options) for the folder.

A dump goes to clients that accept gzip as its `.gz` copy (Apache's recipe for precompressed
files, mod_deflate manual, "Serving pre-compressed content"): the first pass rewrites
`<dump>` to `<dump>.gz`; in the second, where mod_rewrite has renamed the flag to
`REDIRECT_KKG_GZIP`, the copy gets the dump's media type and `Content-Encoding: gzip`. Asked
for by name, a `.gz` file is an `application/gzip` download.
"""

from __future__ import annotations

import re

from ketamine_kg import formats
from ketamine_kg import iri_space as routes
from ketamine_kg.hosting import CORS, CURRENT, INLINE_DOWNLOADS
from ketamine_kg.release.directory import DUMP_STEM, GZIP_SUFFIX, NOT_FOUND
from ketamine_kg.site.hosting_headers import (
    DOWNLOAD_FILE,
    MADE_DOCUMENT,
    PREFLIGHT_MAX_AGE,
    Published,
    document_links,
    download_links,
    thing_file,
    thing_links,
)

#: A dump, relative to the release directory (directory.is_dump as a regex).
DUMP_FILE = (
    f"(?:[^/]+/)*{re.escape(DUMP_STEM)}(?!-metadata\\.ttl$)[^/]*(?<!{re.escape(GZIP_SUFFIX)})"
)


def _value(text: str) -> str:
    """A double-quoted mod_headers value."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def apache_headers() -> list[str]:
    """CORS (not on an HTML page; an OPTIONS pre-flight answers 204, cached for a day) and
    Cache-Control on files and redirects (the server's hour for the current release: these
    rules name files by their current paths only), as mod_rewrite and mod_headers lines after
    `RewriteEngine on`; the w3id rules use them too.
    """
    not_page = "expr=%{REQUEST_STATUS} != 200 || %{CONTENT_TYPE} !~ m#^text/html#"
    return [
        "# CORS as the server sends it (not on an HTML page); Cache-Control on files and",
        "# redirects; a CORS pre-flight (OPTIONS) answers 204.",
        *(
            f"Header always set {name} {_value(value)} {_value(not_page)}"
            for name, value in CORS.items()
        ),
        f"Header always set Access-Control-Max-Age {PREFLIGHT_MAX_AGE} "
        "\"expr=%{REQUEST_METHOD} == 'OPTIONS'\"",
        f'Header always set Cache-Control {_value(CURRENT)} "expr=%{{REQUEST_STATUS}} -lt 400"',
        "RewriteCond %{REQUEST_METHOD} =OPTIONS",
        "RewriteRule ^ - [R=204,L]",
    ]


def _links(release: Published) -> list[str]:
    """The Link header rules: documents in place, a thing's page and documents, downloads;
    each sets a flag (the thing's path) that its Header line tests.
    """
    lines = []
    for n, (header, names) in enumerate(document_links(release).items()):
        alternatives = "|".join(map(re.escape, names))
        lines += [
            f"RewriteRule ^(?:{alternatives})$ - [E=KKG_LINK{n}:1]",
            f"Header set Link {_value(header)} env=KKG_LINK{n}",
        ]
    for flag, extensions in (
        ("KKG_PAGE", ("html",)),
        ("KKG_DOC", tuple(e for e in routes.DOCUMENT_TYPES if e != "html")),
    ):
        value = thing_links(extensions[0], f"%{{{flag}}}e", release)
        if value:
            lines += [
                f"RewriteRule ^{thing_file('', extensions)}$ - [E={flag}:$1]",
                f"Header set Link {_value(value)} env={flag}",
            ]
    downloads = download_links(release)
    if downloads:
        lines += [
            f"RewriteRule ^{DOWNLOAD_FILE}$ - [E=KKG_DOWNLOAD:1]",
            f"Header set Link {_value(downloads)} env=KKG_DOWNLOAD",
        ]
    return lines


def static_htaccess(
    release: Published, path: str = routes.PREFIX, serve_url: str | None = None
) -> str:
    """The `.htaccess` for the release directory, served at the URL path `path` on its host.
    With `serve_url` (a `ketamine-kg serve` of the release), a thing's JSON-LD, N-Triples or
    RDF/XML that is not on disk (a large release writes Turtle only) is asked of that server
    (mod_proxy), with these rules' headers.

    >>> rules = static_htaccess(Published("1.0"), "/kkg/").splitlines()
    >>> "ErrorDocument 404 /kkg/404.html" in rules
    True
    """
    path = "/" + path.strip("/") + "/" if path.strip("/") else "/"
    types = [f"AddType {f.media_type} .{f.extension}" for f in formats.FILE_FORMATS] + [
        f"AddCharset utf-8 .{f.extension}" for f in formats.FILE_FORMATS if f.text
    ]
    special = [
        f'<Files "{name}">\n  ForceType "{media}"\n</Files>'
        for name, media in routes.SPECIAL_FILES.items()
    ]
    dump_types = sorted(
        {f.extension: f.media_type for f in formats.FILE_FORMATS if f is not formats.GZIP}.items()
    )
    inline = "|".join(map(re.escape, INLINE_DOWNLOADS))
    lines = [
        f"# ketamine-kg: the release directory on a static host, served at {path}",
        f"# Generated by `ketamine-kg redirects static-htaccess` for release {release.version};",
        "# do not edit. Needs mod_rewrite, mod_headers, mod_mime (AllowOverride All).",
        "",
        "Options +FollowSymLinks -MultiViews -Indexes",
        *types,
        "RemoveEncoding .gz",
        *special,
        "",
        "# For browsers: the site's page for a missing file.",
        f"ErrorDocument 404 {path}{NOT_FOUND}",
        "",
        "RewriteEngine on",
        *apache_headers(),
        "",
        "# A dump, gzipped for a client that accepts gzip: its .gz copy, as the dump's type.",
        "RewriteCond %{HTTP:Accept-Encoding} gzip",
        "RewriteCond %{REQUEST_FILENAME}.gz -f",
        f"RewriteRule ^({DUMP_FILE})$ $1.gz [E=KKG_GZIP:1,L]",
        *(
            line
            for ext, media in dump_types
            for line in (
                "RewriteCond %{ENV:REDIRECT_KKG_GZIP} =1",
                f"RewriteRule \\.{re.escape(ext)}\\.gz$ - [T={media},E=KKG_ENCODED:1,E=no-gzip:1]",
            )
        ),
        "Header set Content-Encoding gzip env=KKG_ENCODED",
        f"RewriteRule ^{DUMP_FILE}(?:{re.escape(GZIP_SUFFIX)})?$ - [E=KKG_DUMP:1]",
        "Header append Vary Accept-Encoding env=KKG_DUMP",
        "",
        "# FAIR Signposting (signposting.py, the server's links).",
        *_links(release),
        "# Downloads open as files (not the JSON-LD context, which documents load).",
        f"RewriteRule ^(?!(?:{inline})$)(?={DOWNLOAD_FILE}$)(?:.*/)?([^/]+)$ - "
        "[E=KKG_ATTACHMENT:$1]",
        "Header set Content-Disposition "
        '"attachment; filename=\\"%{KKG_ATTACHMENT}e\\"" env=KKG_ATTACHMENT',
        "",
    ]
    if serve_url:
        lines += _made_by_serve(serve_url)
    return "\n".join(lines)


def _made_by_serve(url: str) -> list[str]:
    """The proxy rule for a large release's left-out documents (formats.MADE_FROM_TURTLE)."""
    return [
        "# A large release's things in the syntaxes it leaves to `ketamine-kg serve` (needs",
        "# mod_proxy and mod_proxy_http), with the headers above, not serve's own.",
        "RewriteCond %{REQUEST_FILENAME} !-f",
        f"RewriteRule ^({MADE_DOCUMENT})$ {url.rstrip('/')}{routes.PREFIX}$1 [P,E=KKG_MADE:1]",
        *(f"Header unset {name} env=KKG_MADE" for name in _ALWAYS_SET),
        "",
    ]


#: The headers `apache_headers` sets on every answer (its `always` table, beside the one an
#: answer from serve fills): serve's copies are unset.
_ALWAYS_SET = (*CORS, "Access-Control-Max-Age", "Cache-Control")
