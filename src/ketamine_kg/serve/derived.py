"""The RDF documents a large release leaves to the server, made from each thing's Turtle.

Above `site.ALL_FORMATS_UP_TO` minted IRIs a release writes each thing's RDF in Turtle only
(decision 54). A request for `id/…/x.jsonld`, `.nt` or `.rdf` whose file the release does not
hold, but whose `x.ttl` it lists in SHA256SUMS, is answered with the document the build would
have written: the Turtle parsed, sorted and written by the build's own writer
(`exports/documents.py`; the JSON-LD compacted with the release's published context), so the
bytes are the same.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from functools import cached_property, lru_cache
from pathlib import Path

import pyoxigraph as ox

from ketamine_kg import formats
from ketamine_kg.config import BASE
from ketamine_kg.exports.documents import rdf_documents
from ketamine_kg.exports.serialize import sorted_triples
from ketamine_kg.iri_space import THING_PREFIXES
from ketamine_kg.release.directory import CONTEXT

#: Documents made on request, by extension (every served RDF format but Turtle).
DERIVED = {f.extension: f for f in formats.MADE_FROM_TURTLE}
#: Documents kept made, most recently asked first (each is one resource's description).
CACHED = 1024


class DerivedDocuments:
    """The documents of things that the release holds in Turtle only."""

    def __init__(self, release_dir: Path, listed: Mapping[str, str]) -> None:
        self.release_dir = release_dir
        self.listed = listed  # the release's files (SHA256SUMS)
        self.document = lru_cache(maxsize=CACHED)(self._make)

    def source(self, name: str) -> str | None:
        """The Turtle file `name` is made from, or None when `name` is not a derived document."""
        stem, ext = posixpath.splitext(name)
        turtle = f"{stem}.{formats.TURTLE.extension}"
        if ext[1:] not in DERIVED or not stem.startswith(THING_PREFIXES) or name in self.listed:
            return None
        return turtle if turtle in self.listed else None

    def _make(self, name: str) -> bytes:
        """The document `name` (which `source` names a Turtle file for)."""
        turtle = self.source(name)
        if turtle is None:
            raise KeyError(name)
        stem, ext = posixpath.splitext(name)
        triples = sorted_triples(
            ox.parse(path=self.release_dir / turtle, format=ox.RdfFormat.TURTLE)
        )
        fmt = DERIVED[ext[1:]]
        made = rdf_documents(stem, triples, self.context, about=BASE + stem, formats=(fmt,))
        return made[name]

    @cached_property
    def context(self) -> dict:
        """The release's published JSON-LD context, as the build compacted with it."""
        return json.loads((self.release_dir / CONTEXT).read_bytes())
