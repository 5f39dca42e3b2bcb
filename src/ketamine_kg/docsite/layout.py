"""The skeleton shared by the site's generated pages (resource pages have their own, pages.py)."""

from __future__ import annotations

from ..pages import STYLESHEET, e, script_json, site_header
from ..routes import relative


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
    """A complete XHTML-compatible HTML5 page at the site path `here`."""
    head = [
        '<meta charset="utf-8" />',
        '<meta name="viewport" content="width=device-width, initial-scale=1" />',
        f"<title>{e(title)}</title>",
    ]
    if canonical:
        head.append(f'<link rel="canonical" href="{e(canonical)}" />')
    if description:
        head.append(f'<meta name="description" content="{e(description)}" />')
    head.append(f'<link rel="stylesheet" href="{e(relative(STYLESHEET, here))}" />')
    if jsonld is not None:
        head.append(f'<script type="application/ld+json">\n{script_json(jsonld)}\n</script>')
    licence = '<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>'
    return (
        '<!DOCTYPE html>\n<html lang="en" xmlns="http://www.w3.org/1999/xhtml">\n<head>\n'
        + "\n".join(head)
        + "\n</head>\n<body>\n"
        + site_header(here, kind)
        + f"\n<main>\n<h1>{e(title)}</h1>\n{body}\n</main>\n"
        + f"<footer><p>ketamine-kg, data under {licence}. "
        "A research resource, not medical advice.</p></footer>\n</body>\n</html>\n"
    )
