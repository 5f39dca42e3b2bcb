"""Each shipped example query gives its expected answer on the real release."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from conftest import ROOT, claim_count, count_in

from ketamine_kg.query import resolve_query, rows_of, run_query
from ketamine_kg.release.directory import QUERIES, ReleaseDir
from ketamine_kg.vocab import PREFIXES

EXAMPLES = ROOT / "queries" / "examples"
#: The example queries as the release ships them (`out/queries/`), which `query` resolves.
SHIPPED = ReleaseDir(ROOT / "out").example_queries()


def select(store: ox.Store, name: str) -> list[dict[str, str]]:
    result = run_query(store, resolve_query(name, SHIPPED))
    names, rows = rows_of(result)
    return [dict(zip(names, row, strict=True)) for row in rows]


def test_esketamine_us_approvals_and_dates(store) -> None:
    rows = select(store, "esketamine-us-approvals")
    assert [(r["condition"], r["approved"]) for r in rows] == [
        ("treatment-resistant depression", "2019-03-05"),
        ("major depressive disorder with acute suicidal ideation or behaviour", "2020"),
        ("treatment-resistant depression", "2025"),
    ]


def test_approved_uses_by_drug_and_jurisdiction(store) -> None:
    rows = select(store, "approved-conditions")
    got = {(r["drug"], r["use"], r["jurisdiction"], r["approved"]) for r in rows}
    assert got == {
        ("ketamine", "general anaesthesia", "US", "1970"),
        ("esketamine", "treatment-resistant depression", "US", "2019-03-05"),
        ("esketamine", "treatment-resistant depression", "US", "2025"),
        ("esketamine", "treatment-resistant depression", "EU", "2019-12-18"),
        (
            "esketamine",
            "major depressive disorder with acute suicidal ideation or behaviour",
            "US",
            "2020",
        ),
        (
            "esketamine",
            "moderate to severe major depressive episode constituting a psychiatric emergency",
            "EU",
            "",
        ),
    }
    assert all(r["evidence"] for r in rows)
    assert {r["application"] for r in rows} == {"NDA016812", "NDA211243", "EMEA/H/C/004535"}


def test_investigational_uses_and_phases(store, sources) -> None:
    rows = select(store, "investigational-uses")
    got = {(r["drug"], r["condition"], r["phase"], int(r["sources"])) for r in rows}
    stated = sources.query(
        "SELECT ?d ?c ?p (COUNT(DISTINCT ?e) AS ?n) WHERE { ?claim kko:useStatus "
        "status:investigational ; kko:drug/rdfs:label ?d ; kko:condition/rdfs:label ?c ; "
        "kko:hasEvidence ?e OPTIONAL { ?claim kko:researchPhase/rdfs:label ?p } } "
        "GROUP BY ?d ?c ?p",
        prefixes=PREFIXES,
    )
    expected = {
        (r["d"].value, r["c"].value, r["p"].value if r["p"] else "", int(r["n"].value))
        for r in stated
    }
    assert got == expected
    assert ("ketamine", "post-traumatic stress disorder", "phase 2") in {g[:3] for g in got}
    # Its only registration is labelled phase 4 because ketamine is marketed: no phase stated.
    assert ("ketamine", "suicidal ideation", "") in {g[:3] for g in got}
    # A use is a drug and a condition: arketamine's is investigational although esketamine's
    # use for the same condition is approved.
    assert ("arketamine", "treatment-resistant depression", "phase 2") in {g[:3] for g in got}


def test_ptsd_evidence(store) -> None:
    rows = select(store, "ptsd-evidence")
    assert {r["status"] for r in rows} == {"investigational"}
    sources = {r["source"] for r in rows}
    assert "https://pubmed.ncbi.nlm.nih.gov/24740528" in sources  # Feder 2014
    assert "https://clinicaltrials.gov/study/NCT02397889" in sources
    assert {r["design"] for r in rows} == {"randomized controlled trial", "trial registration"}
    trials = {r["effect"] for r in rows if r["design"] == "randomized controlled trial"}
    assert trials == {"benefit shown"}


def test_emergency_benefits_with_comparator_and_caveat(store) -> None:
    rows = select(store, "emergency-benefits")
    respiratory = [r for r in rows if r["benefit"] == "lower risk of respiratory depression"]
    assert {r["use"] for r in respiratory} == {"general anaesthesia", "procedural sedation"}
    assert all("opioids" in r["comparator"] and "3.9%" in r["caveat"] for r in respiratory)
    assert any(
        r["benefit"] == "rapid onset of action" and "30 seconds" in r["caveat"] for r in rows
    )
    beyond = {r["benefit"]: r for r in rows if r["use"] == "procedural sedation"}
    assert "haemodynamic stability" in beyond  # benefits the sources give beyond the article
    airway = beyond["preserved airway reflexes and spontaneous breathing"]
    assert "3.9%" in airway["caveat"]  # preserved, not guaranteed


def test_approvals_with_their_trials(store) -> None:
    rows = select(store, "approvals-with-their-trials")
    by_approval: dict[str, set[str]] = {}
    for r in rows:
        by_approval.setdefault(r["approval"], set()).add(r["trial"])
    (mdsi,) = [a for a in by_approval if "acute suicidal ideation" in a]
    assert by_approval[mdsi] == {
        "NCT03039192: ASPIRE I, esketamine in MDD at imminent risk for suicide (phase 3)",
        "Ionescu et al. 2021, ASPIRE II trial of esketamine in MDD with active suicidal ideation",
    }
    (trd,) = [
        a for a in by_approval if a.startswith("Spravato, US FDA approval for treatment-resistant")
    ]
    assert by_approval[trd] == {
        "Popova et al. 2019, TRANSFORM-2 trial of esketamine nasal spray in TRD",
        "Daly et al. 2019, SUSTAIN-1 relapse-prevention trial of esketamine",
    }
    assert all(r["design"] in {"randomized controlled trial", "trial registration"} for r in rows)


def test_ptsd_identifiers(store) -> None:
    rows = select(store, "ptsd-identifiers")
    exact = {r["identifier"] for r in rows if r["match"] == "exactMatch"}
    assert {
        "obo:MONDO_0005146",
        "obo:DOID_2055",
        "mesh:D013313",
        "http://purl.bioontology.org/ontology/ICD10CM/F43.1",
    } <= exact


def test_uses_by_category(store, sources) -> None:
    rows = select(store, "uses-by-category")
    counts = {(r["category"], r["status"]): int(r["claims"]) for r in rows}
    assert sum(counts.values()) == claim_count(sources)
    experimental = "?c kko:useCategory category:experimental-application ; kko:useStatus status:investigational"
    assert counts[("experimental application", "investigational")] == count_in(
        sources, experimental
    )
    assert counts[("pain management", "off-label (established)")] == 2


def test_drug_identifiers(store) -> None:
    rows = select(store, "drug-identifiers")
    ketamine = {r["identifier"] for r in rows if r["drug"] == "ketamine"}
    assert {
        "mesh:D007649",
        "obo:CHEBI_6121",
        "wd:Q243547",
        "https://identifiers.org/drugbank/DB01221",
    } <= ketamine
    atc = {r["identifier"] for r in rows if "ATC" in r["identifier"]}
    assert all(r["match"] == "closeMatch" for r in rows if r["identifier"] in atc)


def test_dose_regimens(store) -> None:
    rows = select(store, "dose-regimens")
    iv = next(r for r in rows if r["use"] == "general anaesthesia" and r["route"] == "intravenous")
    assert (iv["minDose"], iv["maxDose"], iv["unit"]) == ("1", "4.5", "mg/kg")
    assert (iv["onset"], iv["onsetUnit"]) == ("30", "s")
    nasal = {
        (r["minDose"], r["maxDose"], r["unit"], r["source"])
        for r in rows
        if r["use"] == "treatment-resistant depression" and r["route"] == "intranasal"
    }
    assert (
        "56",
        "84",
        "mg",
        "Spravato (esketamine) nasal spray US prescribing information",
    ) in nasal
    assert {n[0] for n in nasal} == {"28", "56"}  # 28 mg: the EU starting dose from age 65


def test_treats_edges_follow_status(store) -> None:
    rows = select(store, "treats-edges")
    edges = {(r["drug"], r["predicate"], r["condition"]) for r in rows}
    assert ("esketamine", "biolink:treats", "treatment-resistant depression") in edges
    assert ("ketamine", "biolink:applied_to_treat", "treatment-resistant depression") in edges
    assert ("ketamine", "biolink:in_clinical_trials_for", "post-traumatic stress disorder") in edges
    assert not any("anaesthesia" in c or "sedation" in c for _, _, c in edges)


def test_comparative_benefits_have_comparator(store) -> None:
    assert (
        bool(run_query(store, resolve_query("comparative-benefits-have-comparator", SHIPPED)))
        is True
    )


def test_claims_from_article(store, sources) -> None:
    rows = select(store, "claims-from-article")
    from_article = count_in(
        sources,
        "?c a kko:TherapeuticUseClaim ; "
        "prov:wasDerivedFrom source:exploring-ketamines-medical-uses ; kko:sourceStatement ?s",
    )
    assert len(rows) == from_article > 0 and all(r["statement"] for r in rows)


def test_describe_ptsd(store) -> None:
    result = run_query(store, resolve_query("describe-ptsd", SHIPPED))
    triples = list(result)
    subjects = {t.subject.value for t in triples}
    assert "https://w3id.org/ketamine-kg/id/condition/ptsd" in subjects
    assert "https://w3id.org/ketamine-kg/id/claim/ketamine-ptsd" in subjects


def test_uses_by_certainty(store, sources) -> None:
    rows = select(store, "uses-by-certainty")
    graded = count_in(sources, "?c kko:certainty ?x")
    assert len(rows) == graded > 0
    order = ["high certainty", "moderate certainty", "low certainty", "very low certainty"]
    ranks = [order.index(r["certainty"]) for r in rows]
    assert ranks == sorted(ranks), "ranked from high to very low"
    by_use = {(r["drug"], r["condition"]): r for r in rows}
    # The 0.2.0 inversion is gone: acute pain now ranks above neuropathic pain.
    assert by_use[("ketamine", "acute pain")]["certainty"] == "moderate certainty"
    assert by_use[("ketamine", "neuropathic pain")]["certainty"] == "low certainty"
    crps = by_use[("ketamine", "complex regional pain syndrome")]
    assert crps["certainty"] == "moderate certainty" and crps["assessedBy"].startswith("Cohen")
    # The grading rule: no established use on low or very low certainty.
    weak = {"low certainty", "very low certainty"}
    assert not [
        r for r in rows if r["status"] == "off-label (established)" and r["certainty"] in weak
    ]
    assert any(r["status"] == "off-label (established)" for r in rows)


def test_evidence_not_showing_benefit(store, sources) -> None:
    rows = select(store, "evidence-not-showing-benefit")
    stated = count_in(
        sources,
        "?claim kko:hasEvidence ?e ; kko:condition ?c . ?e kko:effectDirection ?d "
        "FILTER (?d != <https://w3id.org/ketamine-kg/vocab/effect-direction/benefit>)",
    )
    assert len(rows) == stated > 0
    pooled = next(r for r in rows if r["evidence"].startswith("Canuso"))
    assert pooled["effect"] == "mixed" and "not significant" in pooled["finding"]
    asthma = next(r for r in rows if r["use"] == "ketamine for acute severe asthma")
    assert asthma["effect"] == "no benefit shown" and asthma["evidence"].startswith("Jat")


def test_uses_not_in_the_article(store, sources) -> None:
    rows = select(store, "uses-not-in-the-article")
    added = count_in(
        sources,
        "?c kko:useCategory <https://w3id.org/ketamine-kg/vocab/use-category/not-in-article>",
    )
    assert len({(r["drug"], r["use"]) for r in rows}) == added > 0  # procedures as well
    asthma = next(r for r in rows if r["use"] == "acute severe asthma")
    assert asthma["status"] == "off-label (reported)" and asthma["certainty"] == "low certainty"
    assert "no benefit shown" in asthma["effects"]
    epilepsy = next(r for r in rows if r["use"] == "refractory status epilepticus")
    assert epilepsy["certainty"] == "very low certainty" and epilepsy["effects"] == "inconclusive"


def test_limitations_of_use(store) -> None:
    rows = select(store, "limitations-of-use")
    (mdsi,) = [r for r in rows if "acute suicidal ideation" in r["approval"]]
    assert mdsi["notDemonstratedFor"] == "suicidal ideation"
    assert "has not been demonstrated" in mdsi["limitation"]


def test_approvals_up_the_hierarchy(store) -> None:
    rows = select(store, "approvals-up-the-hierarchy")
    conditions = {r["condition"] for r in rows}
    assert "suicidal ideation" not in conditions  # the label denies it; no roll-up reaches it
    assert "major depressive disorder" in conditions  # reached from narrower approved uses
    assert all(r["via"] for r in rows)
    # Rolled up, the EU psychiatric-emergency approval is reached via its own condition.
    eu = {r["via"] for r in rows if r["jurisdiction"] == "European Union"}
    assert "moderate to severe major depressive episode constituting a psychiatric emergency" in eu


def test_doses_with_infusion_duration(store, sources) -> None:
    rows = select(store, "doses-with-infusion-duration")
    stated = count_in(sources, "?d kko:infusionDurationValue ?v")
    assert len({(r["use"], r["dose"], r["unit"]) for r in rows}) == stated > 0
    crps = {
        (r["dose"], r["unit"], r["infusion"], r["infusionUnit"])
        for r in rows
        if r["use"] == "complex regional pain syndrome"
    }
    assert crps == {("22", "mg/h", "4", "d"), ("0.35", "mg/kg/h", "4", "h")}
    (fibro,) = [r for r in rows if r["use"] == "fibromyalgia"]
    assert (fibro["dose"], fibro["infusion"], fibro["infusionUnit"]) == ("0.3", "30", "min")


def test_doses_by_treatment_phase(store, sources) -> None:
    rows = select(store, "doses-by-treatment-phase")
    assert len(rows) == count_in(sources, "?d kko:treatmentPhase ?p") > 0
    us = [r["phase"] for r in rows if r["jurisdiction"] == "United States"]
    assert us == ["induction phase", "maintenance phase", "maintenance phase"]
    assert all(r["drug"] == "esketamine" and r["unit"] == "mg" for r in rows)
    # The EU label doses by age: from 65 the first dose is 28 mg, below 65 it is 56 mg.
    eu = [
        r for r in rows if r["jurisdiction"] == "European Union" and r["phase"] == "induction phase"
    ]
    assert {(r["ageFrom"], r["ageUnder"], r["minDose"]) for r in eu} == {
        ("18", "65", "56"),
        ("65", "", "28"),
    }


def test_drug_pharmacology(store, sources) -> None:
    rows = {r["drug"]: r for r in select(store, "drug-pharmacology")}
    assert set(rows) == {
        str(r["d"].value)
        for r in sources.query(
            "SELECT ?d WHERE { ?x kko:pharmacologySource ?s ; rdfs:label ?d }", prefixes=PREFIXES
        )
    }
    esketamine = rows["esketamine"]
    assert esketamine["majorMetabolite"] == "noresketamine"
    assert (esketamine["halfLifeMin"], esketamine["halfLifeMax"]) == ("7", "12")
    assert esketamine["halfLifeUnit"] == "h"
    assert "unknown" in esketamine["mechanism"]  # the label says what is not known
    assert "NMDA" in rows["ketamine"]["mechanism"] and not rows["ketamine"]["halfLifeMin"]


def test_certainty_assessors(store, sources) -> None:
    rows = select(store, "certainty-assessors")
    assert len(rows) == count_in(sources, "?c kko:certaintyAssessedBy ?a") > 0
    kinds = {r["use"]: r["assessorKind"] for r in rows}
    assert kinds["acute pain"] == "curators' judgement"  # the guideline's grades were not seen
    assert kinds["complex regional pain syndrome"] == "clinical practice guideline"
    assert kinds["neuropathic pain"] == "meta-analysis"


def test_evidence_by_design_and_effect(store, sources) -> None:
    rows = select(store, "evidence-by-design-and-effect")
    counts = {(r["design"], r["effect"]): int(r["items"]) for r in rows}
    assert counts[("randomized controlled trial", "benefit shown")] >= 10
    assert counts[("meta-analysis", "mixed")] == 1  # the pooled ASPIRE analysis
    assert counts[("systematic review", "no benefit shown")] == 1  # the Cochrane asthma review
    graded = count_in(  # each cited evidence item with an effect direction, once
        sources,
        "?e kko:effectDirection ?d FILTER EXISTS { ?claim kko:hasEvidence ?e }",
    )
    assert sum(counts.values()) == graded


def test_trial_registrations_and_phases(store) -> None:
    rows = select(store, "trial-registrations-and-phases")
    by_registration = {r["registration"].rsplit("/", 1)[-1]: r for r in rows}
    si = by_registration["NCT04640636"]
    assert si["registeredAs"] == "phase 4" and si["researchPhase"] == ""
    ptsd = by_registration["NCT02397889"]
    assert set(ptsd["registeredAs"].split(", ")) == {"phase 2", "phase 3"}
    assert ptsd["researchPhase"] == "phase 2"


def test_every_example_has_a_test() -> None:
    tested = {
        name.removeprefix("test_").replace("_", "-")
        for name in globals()
        if name.startswith("test_")
    }
    examples = {p.stem for p in EXAMPLES.glob("*.rq")}
    assert set(SHIPPED) == examples, f"out/{QUERIES}/ is stale: rebuild"
    aliases = {
        "approved-uses-by-drug-and-jurisdiction": "approved-conditions",
        "esketamine-us-approvals-and-dates": "esketamine-us-approvals",
        "investigational-uses-and-phases": "investigational-uses",
        "emergency-benefits-with-comparator-and-caveat": "emergency-benefits",
        "treats-edges-follow-status": "treats-edges",
        "comparative-benefits-have-comparator": "comparative-benefits-have-comparator",
        "boxed-warnings-keep-their-label-version": "boxed-warnings-by-version",
        "adverse-reactions-state-both-arms": "adverse-reactions-with-incidence",
    }
    covered = {aliases.get(t, t) for t in tested}
    assert examples - covered == set()
    assert len(examples) >= 12


def _count(sources: ox.Store, pattern: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"
    return int(next(iter(sources.query(query, prefixes=PREFIXES)))["n"].value)


def test_contraindications_by_product(store, sources) -> None:
    rows = select(store, "contraindications-by-product")
    assert len(rows) == _count(sources, "?c a kko:Contraindication ; kko:concernsProduct ?p")

    def conditions(product: str, jurisdiction: str) -> set[str]:
        return {
            r["condition"]
            for r in rows
            if (r["product"], r["jurisdiction"]) == (product, jurisdiction)
        }

    assert conditions("Spravato", "United States") == {
        "aneurysmal vascular disease",
        "arteriovenous malformation",
        "history of intracerebral haemorrhage",
        "hypersensitivity to ketamine",
    }
    eu = conditions("Spravato", "European Union")  # the EU label differs from the US one
    assert "cardiovascular event in the last 6 weeks" in eu
    assert "arteriovenous malformation" not in eu
    assert "hypersensitivity to ketamine" in conditions("Ketalar", "United States")
    assert all(r["section"].startswith("4") and r["labelVersion"] for r in rows)


def test_boxed_warnings_keep_their_label_version(store) -> None:
    rows = select(store, "boxed-warnings-by-version")
    assert {(r["product"], r["labelVersion"], r["current"]) for r in rows} == {
        ("Spravato", "2019-03", "superseded")  # a later version adds respiratory depression
    }
    assert {r["risk"] for r in rows} == {
        "sedation",
        "dissociation",
        "abuse and misuse",
        "suicidal thoughts and behaviours",
    }


def test_adverse_reactions_state_both_arms(store, sources) -> None:
    rows = select(store, "adverse-reactions-with-incidence")
    assert len(rows) == _count(sources, "?a a kko:AdverseReactionAssertion")
    for r in rows:
        assert r["population"] and r["treated"] and r["comparator"], r
        n, total = map(int, r["treated"].split("/"))
        assert abs(100 * n / total - float(r["treatedPercent"])) <= 0.1
        assert float(r["difference"]) == pytest.approx(
            float(r["treatedPercent"]) - float(r["comparatorPercent"])
        )
    dissociation = next(r for r in rows if r["event"] == "dissociation")
    assert (dissociation["treated"], dissociation["comparator"]) == ("35/152", "0/145")
    differences = [float(r["difference"]) for r in rows]
    assert differences == sorted(differences, reverse=True)


def test_warnings_and_precautions(store, sources) -> None:
    rows = select(store, "warnings-and-precautions")
    assert len(rows) == _count(sources, "?w a kko:WarningPrecaution")
    ketalar = {r["risk"] for r in rows if r["product"] == "Ketalar"}
    assert {"respiratory depression", "emergence reactions", "drug-induced liver injury"} <= ketalar
    spravato = {r["section"].split()[0] for r in rows if r["product"] == "Spravato"}
    assert spravato == {"5.1", "5.2", "5.3", "5.5", "5.6", "5.7", "5.8", "5.9", "5.10"}


def test_drug_interactions(store) -> None:
    rows = select(store, "drug-interactions")
    got = {(r["product"], r["interactsWith"]) for r in rows}
    assert ("Ketalar", "theophylline or aminophylline") in got
    assert ("Spravato", "CNS depressants") in got and ("Ketalar", "CNS depressants") in got
    assert all(r["effect"] for r in rows)
    theophylline = next(r for r in rows if r["interactsWith"] == "theophylline or aminophylline")
    assert "seizure threshold" in theophylline["effect"]
    assert theophylline["management"] == "Do not co-administer."


def test_risk_programmes(store) -> None:
    rows = select(store, "risk-programmes")
    assert [(r["product"], float(r["observationHours"])) for r in rows] == [("Spravato", 2.0)]
    assert "certified" in rows[0]["requirements"]


def test_control_status(store, sources) -> None:
    rows = select(store, "control-status")
    assert {(r["drug"], r["jurisdiction"], r["schedule"], r["since"]) for r in rows} == {
        (drug, "United States", "Schedule III", "1999-08-12")
        for drug in ("ketamine", "esketamine", "arketamine")
    } | {("ketamine", "international", "not under international control", "")}
    assert len(rows) == _count(sources, "?s a kko:ControlStatus ; kko:concernsDrug ?d")


def test_risks_bearing_on_benefits(store, sources) -> None:
    rows = select(store, "risks-bearing-on-benefits")
    assert len(rows) == _count(sources, "?s kko:bearsOn ?b")
    respiratory = {
        r["risk"]
        for r in rows
        if r["benefit"]
        == "ketamine's lower risk of respiratory depression than opioids and sedative-hypnotics"
    }
    assert "Ketalar (US 2024) warning: respiratory depression" in respiratory
    assert any("60 seconds" in r["whenItApplies"] for r in rows)


def test_risks_beside_uses(store, sources) -> None:
    rows = {r["product"]: r for r in select(store, "risks-beside-uses")}
    assert set(rows) == {"Ketalar", "Spravato"}
    for product, r in rows.items():
        iri = f"product:{product.lower()}"
        assert (
            int(r["contraindications"])
            == _count(sources, f"?c a kko:Contraindication ; kko:concernsProduct {iri}")
            > 0
        )
        assert int(r["warnings"]) == _count(
            sources, f"?w a kko:WarningPrecaution ; kko:concernsProduct {iri}"
        )
        assert int(r["approvedUses"]) >= 1


def test_essential_medicine_listings(store, sources) -> None:
    rows = select(store, "essential-medicine-listings")
    assert [(r["drug"], r["listedSince"]) for r in rows] == [("ketamine", "1985")]
    assert len(rows) == _count(sources, "?d kko:essentialMedicineSince ?y")
    assert "WHO" in rows[0]["source"]
