"""What crawlers and lost visitors get: `robots.txt`, `sitemap.xml` and the 404 page.

`robots.txt` allows everything and names the sitemap (robotstxt.org; the `Sitemap:` line is the
sitemaps.org protocol's, "Informing search engine crawlers"). `sitemap.xml` lists every HTML
page of the release but the 404 page, each at its IRI under the base (the landing page at the
base itself, where it is served), in path order, with the release date as `lastmod`. The 404
page is an ordinary page of the site whose links start at the IRI base's path, since a host
serves it at whatever path was not found.
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import escape

from ketamine_kg.config import BASE
from ketamine_kg.iri_space import PREFIX
from ketamine_kg.release.directory import NOT_FOUND, SITEMAP
from ketamine_kg.site.html import e
from ketamine_kg.site.layout import document, link

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
LANDING = "index.html"


def page_iri(path: str) -> str:
    """The IRI a page of the release is listed under.

    >>> page_iri("index.html"), page_iri("id/drug/ketamine.html")
    ('https://w3id.org/ketamine-kg/', 'https://w3id.org/ketamine-kg/id/drug/ketamine.html')
    """
    return BASE if path == LANDING else BASE + path


def sitemap_pages(paths: Iterable[str]) -> list[str]:
    """The release files a sitemap lists: the HTML pages but the 404 page, sorted."""
    return sorted(p for p in paths if p.endswith(".html") and p != NOT_FOUND)


def sitemap_xml(paths: Iterable[str], issued: str) -> bytes:
    """The sitemap of the release files `paths` (pages among them), `lastmod` the release date.

    >>> print(sitemap_xml(["style.css", "index.html"], "2026-01-02").decode())
    <?xml version="1.0" encoding="UTF-8"?>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <url><loc>https://w3id.org/ketamine-kg/</loc><lastmod>2026-01-02</lastmod></url>
    </urlset>
    <BLANKLINE>
    """
    entries = [
        f"<url><loc>{escape(page_iri(p))}</loc><lastmod>{escape(issued)}</lastmod></url>"
        for p in sitemap_pages(paths)
    ]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{SITEMAP_NS}">']
    return "\n".join([*lines, *entries, "</urlset>", ""]).encode()


def robots_txt() -> bytes:
    """Every crawler may fetch everything; the sitemap is at its IRI."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {BASE}{SITEMAP}\n".encode()


def not_found_page() -> str:
    """`404.html`: what a browser is shown for a missing page, in the site's layout."""
    body = (
        "<p>There is no page at this address. Every resource of the graph has a page under "
        f"<code>{e(BASE)}</code>: drugs, conditions and claims under <code>id/</code>, concepts "
        "under <code>vocab/</code>, terms on the ontology's page. Start from "
        f'<a href="{e(link(LANDING, NOT_FOUND, PREFIX))}">the landing page</a>, which lists '
        "the graph's claims and every download of the release.</p>"
    )
    return document(
        NOT_FOUND,
        "Not found",
        "404",
        ["<h1>Not found</h1>", body],
        links=['<meta name="robots" content="noindex" />'],
        root=PREFIX,
    )
