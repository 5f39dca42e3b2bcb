"""The ketamine-kg ontology's terms (`kko:`), each declared in ontology/ (a test holds it)."""

from __future__ import annotations

from ketamine_kg.vocab.prefixes import _KKO
from ketamine_kg.vocab.terms import Terms


class KKO(Terms):
    """The ketamine-kg ontology's terms that the code names (tests check each is declared)."""

    NS = _KKO

    BenefitAssertion: str
    CurationAgent: str
    DoseRegimen: str
    Drug: str
    DrugProduct: str
    EvidenceItem: str
    MedicalCondition: str
    MedicalProcedure: str
    RegulatoryAgency: str
    RegulatoryApproval: str
    SourceDocument: str
    TherapeuticUseClaim: str
    activeIngredient: str
    agency: str
    applicationNumber: str
    approvalDate: str
    approvedFor: str
    approvedProduct: str
    basedOnEvidence: str
    benefitType: str
    biolinkEnumValue: str
    careSetting: str
    caveat: str
    certainty: str
    certaintyAssessedBy: str
    certaintyRationale: str
    citation: str
    comparative: str
    comparator: str
    condition: str
    doseUnit: str
    drug: str
    effectDirection: str
    enantiomerOf: str
    establishedOffLabelFor: str
    finding: str
    frequency: str
    hasApproval: str
    hasBenefit: str
    hasDoseRegimen: str
    hasEnantiomer: str
    hasEvidence: str
    inClinicalTrialsFor: str
    indicationText: str
    infusionDurationUnit: str
    infusionDurationValue: str
    inPreclinicalStudiesFor: str
    jurisdiction: str
    labelSource: str
    limitationOfUse: str
    manufacturerName: str
    maxDose: str
    minDose: str
    notDemonstratedFor: str
    onsetUnit: str
    onsetValue: str
    procedure: str
    product: str
    registeredPhase: str
    reportedOffLabelFor: str
    researchPhase: str
    route: str
    source: str
    sourceStatement: str
    statedCertainty: str
    studyDesign: str
    useCategory: str
    usedFor: str
    usedInProcedure: str
    useStatus: str
