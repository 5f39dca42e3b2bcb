"""The ketamine-kg ontology's terms (`kko:`), each declared in ontology/ (a test holds it)."""

from __future__ import annotations

from ketamine_kg.vocab.prefixes import _KKO
from ketamine_kg.vocab.terms import Terms


class KKO(Terms):
    """The ketamine-kg ontology's terms that the code names (tests check each is declared)."""

    NS = _KKO

    AdverseReactionAssertion: str
    BenefitAssertion: str
    BoxedWarning: str
    Contraindication: str
    ControlStatus: str
    CurationAgent: str
    DoseRegimen: str
    Drug: str
    DrugInteraction: str
    DrugProduct: str
    EvidenceItem: str
    LongTermUseHarm: str
    MedicalCondition: str
    MedicalProcedure: str
    RegulatoryAgency: str
    RegulatoryApproval: str
    RiskProgramme: str
    SafetyStatement: str
    SourceDocument: str
    TherapeuticUseClaim: str
    WarningPrecaution: str
    activeIngredient: str
    adverseEvent: str
    agency: str
    applicationNumber: str
    approvalDate: str
    approvedFor: str
    approvedProduct: str
    basedOnEvidence: str
    bearsOn: str
    benefitType: str
    biolinkEnumValue: str
    boxedWarningItem: str
    careSetting: str
    caveat: str
    certainty: str
    certaintyAssessedBy: str
    certaintyRationale: str
    citation: str
    comparative: str
    comparator: str
    comparatorIncidencePercent: str
    concernsDrug: str
    concernsProduct: str
    condition: str
    contraindicatedIn: str
    doseUnit: str
    drug: str
    effectDirection: str
    effectiveDate: str
    enantiomerOf: str
    essentialMedicineSince: str
    essentialMedicineSource: str
    establishedOffLabelFor: str
    finding: str
    frequency: str
    hasApproval: str
    hasBenefit: str
    hasDoseRegimen: str
    hasEnantiomer: str
    hasEvidence: str
    incidencePercent: str
    inClinicalTrialsFor: str
    indicationText: str
    infusionDurationUnit: str
    infusionDurationValue: str
    inPreclinicalStudiesFor: str
    interactionEffect: str
    interactionManagement: str
    interactsWithClass: str
    isCurrentVersion: str
    jurisdiction: str
    labelSource: str
    limitationOfUse: str
    manufacturerName: str
    maxDose: str
    minDose: str
    notDemonstratedFor: str
    observationHours: str
    onsetUnit: str
    onsetValue: str
    population: str
    procedure: str
    product: str
    registeredPhase: str
    reportedOffLabelFor: str
    researchPhase: str
    riskText: str
    route: str
    schedule: str
    source: str
    sourceSection: str
    sourceStatement: str
    sourceVersionDate: str
    statedCertainty: str
    studyDesign: str
    useCategory: str
    usedFor: str
    usedInProcedure: str
    useStatus: str
