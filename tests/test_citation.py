"""CITATION.cff is valid Citation File Format and names the release the sources describe."""

from __future__ import annotations

import datetime
import tomllib

import yaml
from conftest import ROOT

from ketamine_kg.version import __version__
from ketamine_kg.vocab import PREFIXES

REQUIRED = {"cff-version", "message", "title", "authors", "version", "date-released", "license"}


def test_citation_file_names_the_current_release(sources) -> None:
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert set(citation) >= REQUIRED, f"missing: {sorted(REQUIRED - set(citation))}"
    assert citation["cff-version"] == "1.2.0"
    assert all(author.get("name") or author.get("family-names") for author in citation["authors"])
    package = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (header,) = sources.query(
        "SELECT ?v ?d ?l WHERE { ?o a owl:Ontology ; owl:versionInfo ?v ; dcterms:modified ?d ;"
        " dcterms:license ?l }",
        prefixes=PREFIXES,
    )
    assert str(citation["version"]) == package["version"] == header["v"].value == __version__
    assert citation["date-released"] == datetime.date.fromisoformat(header["d"].value)
    assert header["l"].value == "https://creativecommons.org/licenses/by/4.0/"
    assert citation["license"] == "CC-BY-4.0"  # the SPDX id of the data licence
