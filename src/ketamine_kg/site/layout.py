"""The skeleton every page of the site shares: head (stylesheet, canonical link, schema.org
JSON-LD), site header and navigation, footer. Pages are XHTML-compatible HTML5 (void
elements self-closed), so XML parsers read them too.
"""

from __future__ import annotations

from collections.abc import Iterable

from ketamine_kg.exports.metadata import LICENSE
from ketamine_kg.iri_space import relative
from ketamine_kg.release.directory import STYLESHEET
from ketamine_kg.site.html import e, script_json

#: The site's main sections: site path -> name.
SITE_SECTIONS = {
    "index.html": "ketamine-kg",
    "ontology.html": "ontology",
    "vocab/index.html": "vocabularies",
    "shapes.html": "shapes",
    "queries/index.html": "example queries",
}


def link(target: str, here: str, root: str | None = None) -> str:
    """A link from the page `here` to the release file `target`: relative, or `root` + target
    for a page served at any path (the 404 page), where a relative link would not resolve.

    >>> link("style.css", "id/drug/ketamine.html"), link("style.css", "404.html", "/kkg/")
    ('../../style.css', '/kkg/style.css')
    """
    return root + target if root is not None else relative(target, here)


def site_header(here: str, kind: str, root: str | None = None) -> str:
    """The navigation bar shared by every page of the site.

    >>> site_header("index.html", "dataset").count("<a ")
    5
    """
    links = " · ".join(
        f'<a href="{e(link(path, here, root))}">{e(name)}</a>'
        for path, name in SITE_SECTIONS.items()
    )
    return f"<header><nav>{links}</nav><p>&#8250; {e(kind)}</p></header>"


def site_footer(lead: str = "") -> str:
    """The footer of every page: `lead` (HTML) first, then the licence and a caution."""
    licence = f'<a href="{e(LICENSE)}">CC BY 4.0</a>'
    return (
        f"<footer>{lead}<p>ketamine-kg, data under {licence}. "
        "A research resource, not medical advice.</p></footer>"
    )


def document(
    here: str,
    title: str,
    kind: str,
    main: Iterable[str],
    *,
    canonical: str | None = None,
    description: str | None = None,
    links: Iterable[str] = (),
    jsonld: object | None = None,
    footer: str = "",
    root: str | None = None,
) -> str:
    """A whole page of the site at the site path `here`: head, navigation bar, the `main`
    parts (HTML, empty ones dropped) and the footer.

    `kind` is shown under the navigation bar; `links`: further `<link />` elements of the head;
    `jsonld`: data for a JSON-LD script; `footer`: HTML that leads the footer; `root`: the
    path the site is served under, for a page whose links must not be relative (`link`).
    """
    head = [
        '<meta charset="utf-8" />',
        '<meta name="viewport" content="width=device-width, initial-scale=1" />',
        f"<title>{e(title)}</title>",
    ]
    if canonical:
        head.append(f'<link rel="canonical" href="{e(canonical)}" />')
    if description:
        head.append(f'<meta name="description" content="{e(description)}" />')
    head += links
    head.append(f'<link rel="stylesheet" href="{e(link(STYLESHEET, here, root))}" />')
    if jsonld is not None:
        head.append(f'<script type="application/ld+json">\n{script_json(jsonld)}\n</script>')
    body = [site_header(here, kind, root), "<main>", *main, "</main>", site_footer(footer)]
    return (
        '<!DOCTYPE html>\n<html lang="en" xmlns="http://www.w3.org/1999/xhtml">\n<head>\n'
        + "\n".join(head)
        + "\n</head>\n<body>\n"
        + "\n".join(b for b in body if b)
        + "\n</body>\n</html>\n"
    )


def page(
    here: str,
    title: str,
    kind: str,
    body: str,
    *,
    description: str | None = None,
    jsonld: object | None = None,
    canonical: str | None = None,
) -> str:
    """A complete XHTML-compatible HTML5 page at the site path `here`, headed by its title."""
    return document(
        here,
        title,
        kind,
        [f"<h1>{e(title)}</h1>", body],
        canonical=canonical,
        description=description,
        jsonld=jsonld,
    )
