"""Long lists of incoming links on a page (site/lists.py): shortened to the first LIST_LIMIT
in the page's own order, said so, and never the claims or risks about the resource.

The release's own lists are short (at most 44 links), so the limit is lowered here.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from ketamine_kg.site import lists
from ketamine_kg.site.describe import resource_triples
from ketamine_kg.site.facts import Names
from ketamine_kg.site.resource import resource_html

BASE = "https://w3id.org/ketamine-kg/"
KKO = BASE + "ontology#"
US = BASE + "vocab/jurisdiction/us"
KETAMINE = BASE + "id/drug/ketamine"
JURISDICTION = KKO + "jurisdiction"
#: One row of the "Referenced by" table: the property's link, then its list.
ROW = re.compile(r'<tr><th scope="row">(.*?)</th><td><ul>(.*?)</ul>(.*?)</td></tr>', re.S)


def referenced_by(page: str) -> dict[str, tuple[list[str], str]]:
    """The "Referenced by" section: property label -> (linked pages in order, note)."""
    section = page.split('id="referenced-by"', 1)[1].split("</section>", 1)[0]
    return {
        re.sub("<[^>]+>", "", prop): (re.findall(r'<li><a href="([^"]+)"', items), note)
        for prop, items, note in ROW.findall(section)
    }


def incoming(store: ox.Store, iri: str, predicate: str) -> int:
    return sum(1 for _ in store.quads_for_pattern(None, ox.NamedNode(predicate), ox.NamedNode(iri)))


def test_a_long_list_shows_the_first_of_the_full_list_in_its_order(
    store: ox.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    total = incoming(store, US, JURISDICTION)
    full = referenced_by(resource_html(store, US) or "")["jurisdiction"]
    assert len(full[0]) == total > 10 and full[1] == ""
    monkeypatch.setattr(lists, "LIST_LIMIT", 7)
    shown, note = referenced_by(resource_html(store, US) or "")["jurisdiction"]
    assert shown == full[0][:7]
    assert f"The first 7 of {total}, by name." in note
    query = f"SELECT ?resource WHERE {{ ?resource &lt;{JURISDICTION}&gt; &lt;{US}&gt; }}"
    assert f"<code>{query}</code>" in note


def test_a_list_at_the_limit_is_whole(store: ox.Store, monkeypatch: pytest.MonkeyPatch) -> None:
    total = incoming(store, US, JURISDICTION)
    monkeypatch.setattr(lists, "LIST_LIMIT", total)
    shown, note = referenced_by(resource_html(store, US) or "")["jurisdiction"]
    assert len(shown) == total and note == ""


def test_shortened_pages_are_the_same_with_the_names_index(
    store: ox.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build renders with `Names`; a page rendered alone queries its names: same bytes."""
    monkeypatch.setattr(lists, "LIST_LIMIT", 3)
    names = Names(store)
    hubs = [US, KKO + "EvidenceItem", KKO + "TherapeuticUseClaim", KETAMINE]
    for iri in hubs:
        page = resource_html(store, iri, names=names)
        assert page == resource_html(store, iri), iri
    assert all("The first 3 of" in (resource_html(store, i, names=names) or "") for i in hubs[:3])


def test_the_claims_and_risks_about_a_resource_are_never_shortened(
    store: ox.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = resource_html(store, KETAMINE) or ""
    monkeypatch.setattr(lists, "LIST_LIMIT", 1)
    page = resource_html(store, KETAMINE) or ""
    claims = incoming(store, KETAMINE, KKO + "drug")
    listed, note = referenced_by(page)["drug"]
    assert claims > 1 and len(listed) == claims and note == ""
    assert "The first 1 of" in page  # other properties of the page are shortened
    for section in ("claims", "risks"):
        assert _section(page, section) == _section(whole, section) != ""


def _section(page: str, section_id: str) -> str:
    return (
        page.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]
        if section_id in page
        else ""
    )


def test_the_rdf_description_keeps_every_link(
    store: ox.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lists, "LIST_LIMIT", 2)
    described = resource_triples(store, US)
    links = [t for t in described if t.object == ox.NamedNode(US)]
    assert len(links) == incoming(store, US, JURISDICTION) + sum(
        1 for t in links if t.predicate.value != JURISDICTION
    )


def test_shorten_drops_only_links_past_the_limit_and_names_they_alone_brought(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lists, "LIST_LIMIT", 2)
    hub, p, q = (ox.NamedNode(BASE + x) for x in ("hub", "p", "q"))
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    a, b, c, d = (ox.NamedNode(BASE + "id/" + x) for x in "abcd")
    description = [
        *(ox.Triple(s, p, hub) for s in (a, b, c, d)),
        ox.Triple(d, q, hub),  # d also links by q: its name stays
        ox.Triple(hub, q, c),  # c is also a value of the hub: its name stays
        *(ox.Triple(s, label, ox.Literal(s.value[-1].upper())) for s in (a, b, c, d)),
    ]
    names = {s.value: s.value[-1].upper() for s in (a, b, c, d)}
    found = lists.long_lists(hub.value, description)
    assert found == {p.value: {a.value, b.value, c.value, d.value}}
    kept, counts = lists.shorten(hub.value, description, found, names.__getitem__)
    assert counts == {p.value: 4}
    assert set(description) - set(kept) == {ox.Triple(c, p, hub), ox.Triple(d, p, hub)}
    names_reversed = {k: chr(ord("Z") - ord(v)) for k, v in names.items()}  # d, c first
    kept, _ = lists.shorten(hub.value, description, found, names_reversed.__getitem__)
    assert set(description) - set(kept) == {
        ox.Triple(a, p, hub),
        ox.Triple(b, p, hub),
        ox.Triple(a, label, ox.Literal("A")),
        ox.Triple(b, label, ox.Literal("B")),
    }


def test_a_list_with_a_blank_node_or_an_in_full_property_is_not_shortened(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lists, "LIST_LIMIT", 1)
    hub, p = ox.NamedNode(BASE + "hub"), ox.NamedNode(BASE + "p")
    blank = [ox.Triple(ox.NamedNode(BASE + "a"), p, hub), ox.Triple(ox.BlankNode("b"), p, hub)]
    claims = [ox.Triple(ox.NamedNode(BASE + x), ox.NamedNode(KKO + "condition"), hub) for x in "ab"]
    assert lists.long_lists(hub.value, blank) == {}
    assert lists.long_lists(hub.value, claims) == {}
