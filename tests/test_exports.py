"""The importer kit: KGX against the real Biolink model, SSSOM, condition views, direct edges,
Wikidata QuickStatements, and the loading recipes that run here."""

from __future__ import annotations

import csv
import json
import re
from importlib.resources import files
from pathlib import Path

import jsonschema
import pyoxigraph as ox
import pytest
import rdflib
import yaml

from ketamine_kg.build.pipeline import release_of
from ketamine_kg.build.sssom import read_sssom
from ketamine_kg.exports import kgx
from ketamine_kg.exports.wikidata import quickstatements
from ketamine_kg.vocab import SKOS, sparql_prologue

KKO = "https://w3id.org/ketamine-kg/ontology#"
CURIE = re.compile(r"[A-Za-z][A-Za-z0-9_.]*:\S+")


@pytest.fixture(scope="module")
def biolink() -> dict:
    """The Biolink Model 4.4.6 schema, from the biolink-model package (offline)."""
    return yaml.safe_load((files("biolink_model") / "schema" / "biolink_model.yaml").read_text())


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _element(name: str) -> str:
    """biolink:SmallMolecule -> 'small molecule'; biolink:in_clinical_trials_for -> 'in clinical trials for'."""
    local = name.removeprefix("biolink:")
    return (
        local.replace("_", " ")
        if "_" in local or local.islower()
        else re.sub(r"(?<!^)(?=[A-Z])", " ", local).lower()
    )


@pytest.fixture(scope="module")
def nodes(release_dir: Path) -> list[dict[str, str]]:
    return _tsv(release_dir / "kgx" / "ketamine-kg_nodes.tsv")


@pytest.fixture(scope="module")
def edges(release_dir: Path) -> list[dict[str, str]]:
    return _tsv(release_dir / "kgx" / "ketamine-kg_edges.tsv")


def test_kgx_columns(nodes, edges) -> None:
    assert list(nodes[0]) == kgx.NODE_COLUMNS and list(edges[0]) == kgx.EDGE_COLUMNS


def test_kgx_node_categories_are_biolink_classes(nodes, biolink) -> None:
    for node in nodes:
        for category in node["category"].split("|"):
            cls = biolink["classes"].get(_element(category))
            assert cls is not None and not cls.get("mixin") and not cls.get("abstract"), category


def test_kgx_node_ids_follow_biolink_id_prefixes(nodes, biolink) -> None:
    for category, ours in kgx.ID_PREFIXES.items():
        theirs = (
            biolink["classes"][_element(category)].get("id_prefixes")
            or biolink["classes"]["disease"]["id_prefixes"]
        )
        ranked = [p for p in theirs if p in ours]
        assert ranked == ours, f"{category}: our order {ours} differs from Biolink's {ranked}"
    for node in nodes:
        prefix = node["id"].split(":", 1)[0]
        assert prefix in kgx.OWN_PREFIXES or prefix in kgx.ID_PREFIXES[node["category"]], node["id"]


def test_kgx_edges_use_biolink_predicates_and_enums(edges, biolink) -> None:
    enums = biolink["enums"]
    values = lambda e: set(enums[e]["permissible_values"])  # noqa: E731
    for edge in edges:
        predicate = biolink["slots"][_element(edge["predicate"])]
        assert predicate["domain"] == "chemical or drug or treatment", edge["predicate"]
        assert predicate["range"] in {"disease or phenotypic feature", "biological entity"}
        assert _element(edge["category"]) in biolink["classes"]
        assert edge["knowledge_level"] in values("KnowledgeLevelEnum")
        assert edge["agent_type"] in values("AgentTypeEnum")
        assert edge["primary_knowledge_source"].startswith("infores:")
        if edge["clinical_approval_status"]:
            assert edge["clinical_approval_status"] in values("ClinicalApprovalStatusEnum")
        if edge["max_research_phase"]:
            assert edge["max_research_phase"] in values("ResearchPhaseEnum")
        publications = edge["publications"].split("|")
        assert publications and all(
            CURIE.fullmatch(p) or p.startswith("https://") for p in publications
        )


def _ancestors(name: str, table: dict) -> set[str]:
    """A Biolink element and every element above it, through is_a and mixins."""
    seen, todo = set(), [name]
    while todo:
        element = todo.pop()
        if element in seen:
            continue
        seen.add(element)
        definition = table.get(element) or {}
        todo += [definition["is_a"]] if definition.get("is_a") else []
        todo += definition.get("mixins") or []
    return seen


def test_kgx_edge_categories_admit_their_predicates(edges, biolink) -> None:
    """Each edge's association class admits its predicate: where the class (or a class above it)
    constrains `predicate` to a subproperty of some slot, the predicate descends from that slot."""
    classes, slots = biolink["classes"], biolink["slots"]
    checked = set()
    for edge in edges:
        category, predicate = _element(edge["category"]), _element(edge["predicate"])
        constraints = [
            usage["predicate"]["subproperty_of"]
            for c in _ancestors(category, classes)
            if (usage := (classes.get(c) or {}).get("slot_usage") or {}).get("predicate")
            and "subproperty_of" in usage["predicate"]
        ]
        assert all(c in _ancestors(predicate, slots) for c in constraints), (
            edge["id"],
            constraints,
        )
        checked.add((category, predicate))
    assert len({p for _, p in checked}) >= 5  # treats, applied, trials, contraindication, event


def test_kgx_vocab_enum_values_are_biolink_values(project, biolink) -> None:
    """The kko:biolinkEnumValue annotations in ontology/vocab/ name real Biolink values."""
    allowed = set(biolink["enums"]["ClinicalApprovalStatusEnum"]["permissible_values"]) | set(
        biolink["enums"]["ResearchPhaseEnum"]["permissible_values"]
    )
    found = [
        t.object.value
        for path in sorted((project.ontology_dir / "vocab").glob("*.ttl"))
        for t in ox.parse(path=str(path))
        if t.predicate.value == KKO + "biolinkEnumValue"
    ]
    assert len(found) == 9 and set(found) <= allowed


def test_kgx_edges_are_referentially_complete(nodes, edges) -> None:
    ids = {n["id"] for n in nodes}
    assert len(ids) == len(nodes), "duplicate node ids"
    for edge in edges:
        assert edge["subject"] in ids and edge["object"] in ids


def test_kgx_edge_for_every_condition_claim(edges, store) -> None:
    claims = {
        s["c"].value
        for s in store.query(
            sparql_prologue()
            + "SELECT ?c WHERE { ?c a kko:TherapeuticUseClaim ; kko:condition ?x }",
            use_default_graph_as_union=True,
        )
    }
    claim_edges = {e["id"] for e in edges if e["id"].startswith("KETAMINEKG.CLAIM:")}
    assert claim_edges == {kgx.own_curie(c) for c in claims}


SAFETY_EDGES = """
SELECT ?s ?predicate WHERE {
  { ?s a kko:Contraindication BIND ("biolink:contraindicated_in" AS ?predicate) }
  UNION { ?s a kko:WarningPrecaution BIND ("biolink:has_adverse_event" AS ?predicate) }
  UNION { ?s a kko:AdverseReactionAssertion BIND ("biolink:has_adverse_event" AS ?predicate) }
  UNION { ?s a kko:LongTermUseHarm BIND ("biolink:has_adverse_event" AS ?predicate) }
}"""


def test_kgx_edge_for_every_contraindication_and_adverse_event(edges, nodes, store) -> None:
    expected = {
        (kgx.own_curie(s["s"].value), s["predicate"].value)
        for s in store.query(sparql_prologue() + SAFETY_EDGES, use_default_graph_as_union=True)
    }
    got = {(e["id"], e["predicate"]) for e in edges if e["id"].startswith("KETAMINEKG.SAFETY:")}
    assert got == expected and expected
    category = {n["id"]: n["category"] for n in nodes}
    for edge in edges:
        if edge["predicate"] == "biolink:contraindicated_in":
            assert category[edge["subject"]] == "biolink:Drug"  # the product, not the substance
            assert "dailymed" in edge["publications"] or "ema.europa.eu" in edge["publications"]
    spravato = [
        e for e in edges if e["id"].endswith("spravato-us-2019-contraindication-hypersensitivity")
    ]
    assert [(e["subject"], e["object"]) for e in spravato] == [
        ("KETAMINEKG.PRODUCT:spravato", "KETAMINEKG.CONDITION:hypersensitivity-to-ketamine")
    ]


def test_kgx_ptsd_edge(edges) -> None:
    edge = next(e for e in edges if e["id"] == "KETAMINEKG.CLAIM:ketamine-ptsd")
    assert (edge["subject"], edge["predicate"], edge["object"]) == (
        "CHEBI:6121",
        "biolink:in_clinical_trials_for",
        "MONDO:0005146",
    )
    assert edge["max_research_phase"] == "clinical_trial_phase_2"
    assert "PMID:24740528" in edge["publications"].split("|")


DIRECT = """
SELECT ?claim ?drug ?condition ?edge WHERE {
  ?claim a kko:TherapeuticUseClaim ; kko:drug ?drug ; kko:condition ?condition ; kko:useStatus ?s .
  VALUES (?s ?edge) {
    (status:approved kko:approvedFor) (status:off-label-established kko:establishedOffLabelFor)
    (status:off-label-reported kko:reportedOffLabelFor) (status:investigational kko:inClinicalTrialsFor)
    (status:experimental kko:inPreclinicalStudiesFor) }
}"""


def test_direct_edges_file_round_trips_with_claims(release_dir: Path, store) -> None:
    """Every claim has its edge in the published direct-edge file, and every edge has its claim."""
    direct = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(path=str(release_dir / "ketamine-kg-direct.ttl"))
    }
    expected = {
        ox.Triple(r["drug"], r["edge"], r["condition"])
        for r in store.query(sparql_prologue() + DIRECT, use_default_graph_as_union=True)
    }
    local = {
        t
        for t in direct
        if t.predicate.value.startswith(KKO) and t.predicate.value != KKO + "usedInProcedure"
    }
    assert expected and local == expected


def test_merged_sssom_reads_back(release_dir: Path, project, built) -> None:
    merged = read_sssom(release_dir / "ketamine-kg.sssom.tsv")
    sources = [m for path in project.sources()["mappings"] for m in read_sssom(path)]
    key = lambda m: (m.subject_iri, m.predicate_iri, m.object_iri)  # noqa: E731
    assert sorted(map(key, merged)) == sorted(map(key, sources))
    header = (release_dir / "ketamine-kg.sssom.tsv").read_text().split("\nsubject_id")[0]
    assert (
        f"mapping_set_version: {release_of(built.dataset).version}" in header
        and "license: https://creativecommons.org/licenses/by/4.0/" in header
    )


@pytest.fixture(scope="module")
def views(release_dir: Path) -> dict[str, dict]:
    return {
        p.stem: json.loads(p.read_text())
        for p in (release_dir / "views" / "condition").glob("*.jsonld")
    }


def test_a_view_per_condition(views, store) -> None:
    conditions = {
        s["c"].value.rsplit("/", 1)[-1]
        for s in store.query(
            sparql_prologue() + "SELECT ?c WHERE { ?c a kko:MedicalCondition }",
            use_default_graph_as_union=True,
        )
    }
    assert set(views) == conditions


def test_views_match_the_json_schema(views, release_dir: Path) -> None:
    schema = json.loads((release_dir / "schema" / "condition-view.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for name, view in views.items():
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(view))
        assert not errors, f"{name}: {errors[0].message} at {list(errors[0].absolute_path)}"


def test_view_triples_are_a_subset_of_the_release(views, release_dir: Path) -> None:
    release = rdflib.Graph().parse(release_dir / "ketamine-kg.nt", format="nt")
    for name, view in views.items():
        graph = rdflib.Graph().parse(data=json.dumps(view), format="json-ld")
        assert len(graph) > 5
        missing = [t for t in graph if t not in release]
        assert not missing, f"{name}: {missing[:3]}"


@pytest.fixture(scope="module")
def product_views(release_dir: Path) -> dict[str, dict]:
    return {
        p.stem: json.loads(p.read_text())
        for p in (release_dir / "views" / "product").glob("*.jsonld")
    }


def test_a_label_summary_per_product(product_views, store) -> None:
    products = {
        s["p"].value.rsplit("/", 1)[-1]
        for s in store.query(
            sparql_prologue() + "SELECT ?p WHERE { ?p a kko:DrugProduct }",
            use_default_graph_as_union=True,
        )
    }
    assert set(product_views) == products == {"ketalar", "spravato"}


def test_label_summaries_match_their_schema_and_the_release(product_views, release_dir) -> None:
    schema = json.loads((release_dir / "schema" / "product-label-summary.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    release = rdflib.Graph().parse(release_dir / "ketamine-kg.nt", format="nt")
    for name, view in product_views.items():
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(view))
        assert not errors, f"{name}: {errors[0].message} at {list(errors[0].absolute_path)}"
        graph = rdflib.Graph().parse(data=json.dumps(view), format="json-ld")
        missing = [t for t in graph if t not in release]
        assert len(graph) > 50 and not missing, f"{name}: {missing[:3]}"


def test_spravato_label_summary_puts_risks_beside_uses(product_views) -> None:
    spravato = product_views["spravato"]
    assert spravato["activeIngredient"]["label"] == "esketamine"
    assert {u["condition"]["label"] for u in spravato["uses"]} >= {"treatment-resistant depression"}
    by_jurisdiction: dict[str, set[str]] = {}
    for c in spravato["contraindications"]:
        by_jurisdiction.setdefault(c["jurisdiction"], set()).add(c["contraindicatedIn"]["label"])
    assert by_jurisdiction["kkv:jurisdiction/us"] == {
        "aneurysmal vascular disease",
        "arteriovenous malformation",
        "history of intracerebral haemorrhage",
        "hypersensitivity to ketamine",
    }
    assert "cardiovascular event in the last 6 weeks" in by_jurisdiction["kkv:jurisdiction/eu"]
    [boxed] = spravato["boxedWarnings"]
    assert boxed["sourceVersionDate"]["@value"] == "2019-03"
    assert {i["adverseEvent"]["label"] for i in boxed["boxedWarningItem"]} >= {"sedation"}
    [rems] = spravato["riskProgrammes"]
    assert float(rems["observationHours"]) == 2.0
    assert all("concernsProduct" not in w for w in spravato["warnings"])  # no back-references


def test_ptsd_view_says_everything_about_ptsd(views) -> None:
    ptsd = views["ptsd"]
    assert (
        ptsd["label"] == "post-traumatic stress disorder"
        and "obo:MONDO_0005146" in ptsd["exactMatch"]
    )
    (claim,) = ptsd["claims"]
    assert claim["useStatus"] == {
        "id": "kkv:use-status/investigational",
        "type": "skos:Concept",
        "label": "investigational",
    }
    assert claim["researchPhase"]["label"] == "phase 2"
    sources = {
        s
        for e in claim["hasEvidence"]
        for s in ([e["source"]] if isinstance(e["source"], str) else e["source"])
    }
    assert "https://pubmed.ncbi.nlm.nih.gov/24740528" in sources


QS_LINE = re.compile(
    r'Q\d+\tP2175\tQ\d+(\t(P790|P1001)\tQ\d+|\tP580\t\+\d{4}-\d{2}-\d{2}T00:00:00Z/(9|11))*\tS854\t"https://[^"]+"\tS813\t\+\d{4}-\d{2}-\d{2}T00:00:00Z/11'
)


def test_quickstatements_are_well_formed_and_only_for_approved_or_established(
    release_dir: Path,
) -> None:
    lines = (release_dir / "wikidata" / "quickstatements.txt").read_text().splitlines()
    for line in lines:
        assert QS_LINE.fullmatch(line), line
    review = (release_dir / "wikidata" / "README.md").read_text()
    assert "investigational" not in review.split("| claim |")[1]
    # The EU extension is for a psychiatric emergency in MDD, not MDD (Q42844): never stated.
    assert not any("\tQ42844\t" in line for line in lines)
    assert "psychiatric emergency (EU, approved) | approved | no |" in review


def test_quickstatements_state_an_approval_once_its_condition_has_a_wikidata_item(
    store: ox.Store,
) -> None:
    """With a verified item for the condition (planted here), the approved use is written."""
    planted = ox.Store()
    planted.extend(store)
    trd = ox.NamedNode("https://w3id.org/ketamine-kg/id/condition/treatment-resistant-depression")
    graph = next(iter(store.quads_for_pattern(trd, None, None))).graph_name
    item = ox.NamedNode("http://www.wikidata.org/entity/Q1")
    planted.add(ox.Quad(trd, ox.NamedNode(SKOS.exactMatch), item, graph))
    text, _ = quickstatements(planted, "2026-12-03")
    lines = text.decode().splitlines()
    assert lines and all(QS_LINE.fullmatch(line) for line in lines)
    assert {line.split("\t")[2] for line in lines} == {"Q1"}
    fields = [line.split("\t") for line in lines]
    assert {f[f.index("P1001") + 1] for f in fields} == {"Q30", "Q458"}  # US and EU approvals


def test_loading_recipe_oxigraph(release_dir: Path, tmp_path: Path) -> None:
    """docs/loading.md: pyoxigraph on-disk store from the N-Quads dump."""
    store = ox.Store(str(tmp_path / "db"))
    store.bulk_load(path=str(release_dir / "ketamine-kg.nq"), format=ox.RdfFormat.N_QUADS)
    expected = len((release_dir / "ketamine-kg.nq").read_bytes().splitlines())
    assert len(store) == expected


def test_loading_recipe_rdflib(release_dir: Path) -> None:
    """docs/loading.md: rdflib Dataset from the N-Quads dump, graphs kept."""
    dataset = rdflib.Dataset()
    dataset.parse(release_dir / "ketamine-kg.nq", format="nquads")
    graphs = {str(g.identifier) for g in dataset.graphs() if len(g)}
    assert "https://w3id.org/ketamine-kg/graph/direct" in graphs and len(graphs) == 5
