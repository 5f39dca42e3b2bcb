"""The RDF documents of one resource: the same triples in every served syntax.

The build writes them beside each page (site/), and `serve` makes those a large release leaves
out from the Turtle (serve/derived.py); both go through `rdf_documents`, so the bytes agree.
"""

from __future__ import annotations

import pyoxigraph as ox

from ketamine_kg import rdf
from ketamine_kg.exports import jsonld
from ketamine_kg.formats import JSON_LD, RDF_DOCUMENT_FORMATS, Format
from ketamine_kg.vocab import PREFIXES


def rdf_documents(
    stem: str,
    triples: list[ox.Triple],
    context: dict,
    prefixes: dict[str, str] = PREFIXES,
    about: str | None = None,
    formats: tuple[Format, ...] = RDF_DOCUMENT_FORMATS,
) -> dict[str, bytes]:
    """`<stem>.<ext>` in each of `formats` (default: every served RDF format); `triples` as
    `sorted_triples` returns them.

    The JSON-LD is compacted with the published `context`, the node of `about` first.
    """
    documents = {}
    for fmt in formats:
        documents[f"{stem}.{fmt.extension}"] = (
            jsonld.dumps(jsonld.document(triples, context, about))
            if fmt is JSON_LD
            else rdf.to_bytes(triples, format=fmt.rdf, prefixes=fmt.writer_prefixes(prefixes))
        )
    return documents
