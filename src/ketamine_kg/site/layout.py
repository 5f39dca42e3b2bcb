"""The skeleton of the site's generated pages: `pages.document` with the title as heading."""

from __future__ import annotations

from ketamine_kg.site.pages import document, e


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
