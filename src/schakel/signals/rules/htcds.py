"""The HTCDS v2.0 picklists our vocabularies and indicators map to.

Value names (the system identifiers, not the display labels) as in the IOM Human Trafficking
Case Data Standard v2.0 field list (``HTCDS Field Standards 2.0.ods``, CC BY 4.0, IOM; see
``/work/shared/reference/htcds/``). Copied here so that a mapping in a rules file is checked
when it loads. One correction: the field list spells ``DebtBondage`` with a trailing space;
we drop it.

Where the standard's own ``Field Definitions.md`` names methods of control that the picklist
lacks (``RestrictsMovement``, ``UsesChildren``), the picklist wins: it is what partners'
systems exchange.
"""

from __future__ import annotations

#: Fields and their value names. Only the picklists a rules file maps to are listed.
PICKLISTS: dict[str, tuple[str, ...]] = {
    "vic_TypeOfExploitation": (
        "ForcedLabour",
        "SexualExploitation",
        "ChildLabour",
        "ForcedMarriage",
        "Servitude",
        "ForcedMilitaryByNonStateActors",
        "OrganRemoval",
        "ForcedBegging",
        "ForcedAdoption",
        "Surrogacy",
        "Other",
    ),
    "vic_MethodsOfControl": (
        "PhysicalThreats",
        "ThreatsLawEnforcement",
        "ThreatensChildrenFamily",
        "DebtBondage",
        "FalsePromises",
        "PhysicalAbuse",
        "SexualAbuse",
        "TakesEarnings",
        "RestrictsFinancialAccess",
        "RestrictsMedicalCare",
        "WithholdsNecessities",
        "PsychologicalAbuse",
        "PsychoactiveSubstance",
        "ExcessiveWorkingHours",
        "WithholdsDocuments",
        "Other",
    ),
    "prs_Gender": (
        "Feminine",
        "Masculine",
        "TransgenderFeminine",
        "TransgenderMasculine",
        "NonConforming",
        "NonSpecifiedUnknown",
    ),
    "per_RoleInProcess": (
        "TravellingPartner",
        "Transporter",
        "RecruiterOrIntermediary",
        "BrokerTravelAgent",
        "TransferredIndividual",
        "HarbouredIndividual",
        "SoldIndividual",
        "BoughtIndividual",
        "ReceivedIndividual",
        "ControlledIndividual",
        "Smuggler",
        "Abuser",
        "Kidnapper",
        "Exploiter",
        "Other",
    ),
}

METHODS_OF_CONTROL = "vic_MethodsOfControl"
