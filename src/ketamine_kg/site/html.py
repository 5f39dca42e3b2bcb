"""HTML primitives of the site: escaping, relative links, identifiers as text, tables and
sections, JSON for script blocks.

Links to the site's own pages (and the stylesheet) are relative to the page, so the site reads
the same from disk and from any host; other IRIs are absolute.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape
from urllib.parse import urlsplit

from ketamine_kg import jsontext
from ketamine_kg.identifiers import scheme_of_iri
from ketamine_kg.iri_space import page_path, relative
from ketamine_kg.vocab import (
    curie,
)


def href(iri: str, here: str) -> str:
    """A link from the site page `here` to the page of an IRI we mint; other IRIs unchanged.

    >>> href("https://w3id.org/ketamine-kg/id/drug/ketamine", "id/claim/ketamine-ptsd.html")
    '../drug/ketamine.html'
    >>> href("https://w3id.org/ketamine-kg/ontology#Drug", "index.html")
    'ontology/Drug.html'
    >>> href("https://pubmed.ncbi.nlm.nih.gov/24740528", "index.html")
    'https://pubmed.ncbi.nlm.nih.gov/24740528'

    Only http(s) IRIs become links (the gate refuses others; this is the second line):

    >>> href("javascript:alert(4)", "index.html")
    ''
    """
    folder, slash, _ = here.rpartition("/")  # a link depends only on the page's folder
    return _href(iri, folder + slash or here)


@lru_cache(maxsize=1 << 14)
def _href(iri: str, here: str) -> str:
    target = page_path(iri)
    if target:
        return relative(target, here)
    return iri if is_web_iri(iri) else ""


def is_web_iri(iri: str) -> bool:
    """Whether an IRI may be a link target: http or https, nothing else."""
    return iri.lower().startswith(("http://", "https://"))


def identifier_text(iri: str) -> str:
    """A short readable form of an external IRI: source name and id, CURIE, or the IRI.

    >>> identifier_text("https://pubmed.ncbi.nlm.nih.gov/24740528")
    'PubMed 24740528'
    >>> identifier_text("http://purl.obolibrary.org/obo/MONDO_0005146")
    'MONDO:0005146'
    """
    parts = urlsplit(iri)
    host, path = parts.netloc.removeprefix("www."), parts.path.strip("/")
    if host == "pubmed.ncbi.nlm.nih.gov":
        return f"PubMed {path}"
    if host == "doi.org":
        return f"doi:{path}"
    if host == "clinicaltrials.gov":
        return f"ClinicalTrials.gov {path.rsplit('/', 1)[-1]}"
    if host == "dailymed.nlm.nih.gov":
        return "DailyMed label"
    if host == "ema.europa.eu":
        return f"EMA: {path.rsplit('/', 1)[-1]}"
    if found := scheme_of_iri(iri):
        scheme, local = found
        return f"{scheme.prefix}:{local}"
    return curie(iri)


def e(text: object) -> str:
    r"""HTML-escaped text (quotes too, so it is safe in attributes).

    >>> e("<a href='x' title=\"T & J\">"), e("plain"), e(3)
    ('&lt;a href=&#x27;x&#x27; title=&quot;T &amp; J&quot;&gt;', 'plain', '3')
    """
    text = text if type(text) is str else str(text)
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return escape(text, quote=True)
    return text  # most text has nothing to escape: five searches instead of five replaces


def bullets(items: list[str]) -> str:
    """Items that are already HTML as a list, or a dash when there are none."""
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>" if items else "—"


def table(headings: list[str], rows: list[list[str]]) -> str:
    """A table whose cells are already HTML; the first cell of each row is a row header."""
    head = "".join(f'<th scope="col">{e(h)}</th>' for h in headings)
    body = "".join(
        f'<tr><th scope="row">{row[0]}</th>' + "".join(f"<td>{c}</td>" for c in row[1:]) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def section(section_id: str, title: str, body: str) -> str:
    """A page section with its id and heading."""
    return f'<section id="{e(section_id)}"><h2>{e(title)}</h2>{body}</section>'


def script_json(data: object) -> str:
    r"""JSON that is safe inside <script> and in XML: <, > and & as \u escapes.

    >>> import json
    >>> text = script_json({"a": "</script><!--&"})
    >>> "<" in text or "&" in text
    False
    >>> json.loads(text)
    {'a': '</script><!--&'}
    """
    text = jsontext.dumps(data, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
