"""The evidence map (evidence-map.svg, inline on the landing page): every use once, with the
status, certainty and number of evidence items the sources state, computed here from the
sources' triples without the map's query; well-formed, linked, deterministic, escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from ketamine_kg.config import BASE
from ketamine_kg.iri_space import page_path
from ketamine_kg.release.directory import EVIDENCE_MAP_SVG, ReleaseDir
from ketamine_kg.site.evidence_map import NOT_ASSESSED, evidence_map_svg
from ketamine_kg.vocab import KKO, RDF, SKOS

SVG = "{http://www.w3.org/2000/svg}"
BENEFIT = BASE + "vocab/effect-direction/benefit"


def _one(store: ox.Store, subject: ox.NamedNode, predicate: str) -> ox.NamedNode | None:
    objects = {q.object for q in store.quads_for_pattern(subject, ox.NamedNode(predicate), None)}
    assert len(objects) <= 1, (subject, predicate, objects)
    return next(iter(objects), None)


def _english(store: ox.Store, concept: ox.NamedNode) -> str:
    (label,) = {
        q.object.value
        for q in store.quads_for_pattern(concept, ox.NamedNode(SKOS.prefLabel), None)
        if q.object.language == "en"
    }
    return label


def expected(sources: ox.Store) -> dict[str, tuple[str, str, int, bool]]:
    """Claim page -> (status label, certainty label or "not assessed", evidence items, whether
    any of them did not show a plain benefit)."""
    claims = {
        q.subject
        for q in sources.quads_for_pattern(
            None, ox.NamedNode(RDF.type), ox.NamedNode(KKO.TherapeuticUseClaim)
        )
    }
    found = {}
    for claim in claims:
        status = _one(sources, claim, KKO.useStatus)
        certainty = _one(sources, claim, KKO.certainty)
        evidence = {
            q.object for q in sources.quads_for_pattern(claim, ox.NamedNode(KKO.hasEvidence), None)
        }
        assert status is not None
        directions = {_one(sources, item, KKO.effectDirection) for item in evidence} - {None}
        found[page_path(claim.value)] = (
            _english(sources, status),
            _english(sources, certainty) if certainty else NOT_ASSESSED,
            len(evidence),
            any(d.value != BENEFIT for d in directions),
        )
    return found


def drawn(svg: str) -> list[tuple[str, str, str, int, bool]]:
    """(link, status group, certainty column, number, asterisk) of every row, in document
    order."""
    root = ET.fromstring(svg)
    columns = {
        float(t.get("x")): "".join(t.itertext()).strip()
        for t in root.iter(f"{SVG}text")
        if t.get("class") == "column"
    }
    rows, status = [], None
    for element in root:
        if element.tag == f"{SVG}text" and element.get("class") == "status":
            status = re.sub(r" \(\d+\)$", "", element.text)
        elif element.tag == f"{SVG}a":
            (items,) = [t for t in element.iter(f"{SVG}text") if t.get("class") == "items"]
            number, mark = re.fullmatch(r"(\d+)(\*?)", items.text).groups()
            column = columns[float(items.get("x"))]
            rows.append((element.get("href"), status, column, int(number), mark == "*"))
    return rows


@pytest.fixture(scope="module")
def svg(release_dir: Path) -> str:
    return (release_dir / EVIDENCE_MAP_SVG).read_text(encoding="utf-8")


def test_every_use_appears_once_with_its_status_certainty_and_count(svg: str, sources) -> None:
    want = expected(sources)
    rows = drawn(svg)
    assert len(want) > 15
    assert Counter(link for link, *_ in rows) == Counter(list(want)), "each claim exactly once"
    assert {link: tuple(rest) for link, *rest in rows} == want


def test_status_groups_state_their_size_and_follow_the_status_order(svg: str) -> None:
    root = ET.fromstring(svg)
    headings = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "status"]
    groups = Counter(status for _, status, *_ in drawn(svg))
    assert headings == [f"{status} ({n})" for status, n in groups.items()]
    assert [h.rsplit(" (", 1)[0] for h in headings][:2] == ["approved", "off-label (established)"]


def test_a_use_without_assessed_certainty_says_not_assessed(svg: str, sources) -> None:
    unassessed = [row for row in drawn(svg) if row[2] == NOT_ASSESSED]
    assert unassessed and all(row[1] != "off-label (reported)" for row in unassessed)
    root = ET.fromstring(svg)
    titles = [a.find(f"{SVG}title").text for a in root.iter(f"{SVG}a")]
    assert len(titles) == len(drawn(svg))
    assert sum("certainty of evidence not assessed" in t for t in titles) == len(unassessed)
    assert all(" certainty; " in t or "not assessed" in t for t in titles)


def test_each_row_links_to_a_page_of_the_release(svg: str, release_dir: Path) -> None:
    links = [link for link, *_ in drawn(svg)]
    assert links and all(link.startswith("id/claim/") for link in links)
    assert all((release_dir / link).is_file() for link in links)


def test_the_map_is_deterministic_and_is_the_release_file(svg: str, release_dir: Path) -> None:
    first = evidence_map_svg(ReleaseDir(release_dir).store())
    assert first == evidence_map_svg(ReleaseDir(release_dir).store()) == svg


def test_the_landing_page_shows_the_map_with_a_caption_and_a_table(
    svg: str, release_dir: Path
) -> None:
    html = (release_dir / "index.html").read_text(encoding="utf-8")
    section = html.split('<section id="evidence-map">', 1)[1].split("</section>", 1)[0]
    assert svg in section  # inline, so its rows are links; the same bytes as the file
    assert "<figcaption>" in section and f'href="{EVIDENCE_MAP_SVG}"' in section
    table = section.split("<table>", 1)[1]
    for link, status, certainty, items, mark in drawn(svg):
        row = table.split(f'<a href="{link}">', 1)[1].split("</tr>", 1)[0]
        assert f">{status}</span>" in row and f"<td>{certainty}</td><td>{items}" in row
        assert ("not show a plain benefit</td>" in row) == mark, row


def _store(turtle: str) -> ox.Store:
    store = ox.Store()
    prefixes = """
        @prefix kko: <https://w3id.org/ketamine-kg/ontology#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix claim: <https://w3id.org/ketamine-kg/id/claim/> .
        @prefix drug: <https://w3id.org/ketamine-kg/id/drug/> .
        @prefix condition: <https://w3id.org/ketamine-kg/id/condition/> .
        @prefix status: <https://w3id.org/ketamine-kg/vocab/use-status/> .
        @prefix certainty: <https://w3id.org/ketamine-kg/vocab/certainty/> .
        status:approved skos:prefLabel "approved"@en .
        certainty:low skos:prefLabel "low certainty"@en .
        certainty:high skos:prefLabel "high certainty"@en .
        drug:x rdfs:label "<script>alert(1)</script> & co" .
        condition:y rdfs:label "condition \\"y\\"" .
    """
    store.load(prefixes + turtle, format=ox.RdfFormat.TURTLE)
    return store


def test_hostile_labels_are_escaped_and_no_grade_is_invented() -> None:
    svg = evidence_map_svg(
        _store(
            "claim:c a kko:TherapeuticUseClaim ; kko:drug drug:x ; "
            "kko:condition condition:y ; kko:useStatus status:approved ."
        )
    )
    ET.fromstring(svg)  # well-formed
    assert "<script" not in svg
    assert drawn(svg) == [("id/claim/c.html", "approved", NOT_ASSESSED, 0, False)]


def test_a_count_says_when_some_evidence_did_not_show_a_benefit() -> None:
    """Two items, one a negative trial: "2*", and the row's title says which share."""
    claim = (
        "claim:c a kko:TherapeuticUseClaim ; kko:drug drug:x ; kko:condition condition:y ;"
        " kko:useStatus status:approved ; kko:hasEvidence <https://w3id.org/ketamine-kg/id/evidence/a>,"
        " <https://w3id.org/ketamine-kg/id/evidence/b> ."
        " <https://w3id.org/ketamine-kg/id/evidence/a> kko:effectDirection"
        " <https://w3id.org/ketamine-kg/vocab/effect-direction/benefit> ."
    )
    negative = (
        " <https://w3id.org/ketamine-kg/id/evidence/b> kko:effectDirection"
        " <https://w3id.org/ketamine-kg/vocab/effect-direction/no-benefit> ."
    )
    svg = evidence_map_svg(_store(claim + negative))
    assert drawn(svg) == [("id/claim/c.html", "approved", NOT_ASSESSED, 2, True)]
    (title,) = [a.find(f"{SVG}title").text for a in ET.fromstring(svg).iter(f"{SVG}a")]
    assert title.endswith("2 evidence items, 1 of which does not show a plain benefit")
    plain = evidence_map_svg(_store(claim))
    assert drawn(plain) == [("id/claim/c.html", "approved", NOT_ASSESSED, 2, False)]


def test_a_claim_with_two_certainties_is_refused() -> None:
    store = _store(
        "claim:c a kko:TherapeuticUseClaim ; kko:drug drug:x ; kko:condition condition:y ;"
        " kko:useStatus status:approved ; kko:certainty certainty:low , certainty:high ."
    )
    with pytest.raises(ValueError, match="one row per claim"):
        evidence_map_svg(store)


def test_a_certainty_outside_the_grade_levels_is_refused() -> None:
    store = _store(
        "claim:c a kko:TherapeuticUseClaim ; kko:drug drug:x ; kko:condition condition:y ;"
        " kko:useStatus status:approved ; kko:certainty <https://example.org/strong> ."
    )
    with pytest.raises(ValueError, match="not a GRADE level"):
        evidence_map_svg(store)
