"""Fixed, translated vocabularies of the cases context, each mapped to its HTCDS v2.0 value.

HTCDS (IOM Human Trafficking Case Data Standard v2.0, CC BY 4.0; see
``/work/shared/reference/htcds/``) names the values partners' systems exchange: ``cas_Status``,
``vic_TraffickingStatus`` and ``vic_TraffickingStatusDecisionMakingOrg``. Migration status
comes from the reviewed vocabulary file of the signals context (``migration_status``); HTCDS
v2.0 has no migration-status field (only ``prs_Citizenship``, a country), so it maps to none.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from schakel.partners.vocabulary import Sector


class CaseStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CLOSED = "closed", _("Closed")
    CLOSED_REFERRED = "closed_referred", _("Closed, referred")


#: Statuses in which a case keeps its signals (a retention hold) and its reminders run.
OPEN_STATUSES = (CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP)

#: ``cas_Status``.
HTCDS_CASE_STATUS = {
    CaseStatus.ACTIVE: "Active",
    CaseStatus.FOLLOW_UP: "FollowUp",
    CaseStatus.CLOSED: "Closed",
    CaseStatus.CLOSED_REFERRED: "ClosedReferred",
}


class TraffickingStatus(models.TextChoices):
    POSSIBLE_VICTIM = "possible_victim", _("Possible victim")
    ACTUAL_VICTIM = "actual_victim", _("Actual victim")
    NOT_A_VICTIM = "not_a_victim", _("Not a victim")


#: ``vic_TraffickingStatus``.
HTCDS_TRAFFICKING_STATUS = {
    TraffickingStatus.POSSIBLE_VICTIM: "PossibleVictimOfTrafficking",
    TraffickingStatus.ACTUAL_VICTIM: "ActualVictimOfTrafficking",
    TraffickingStatus.NOT_A_VICTIM: "NotAVictimOfTrafficking",
}


class DecidingOrganisationType(models.TextChoices):
    """``vic_TraffickingStatusDecisionMakingOrg``: the value names are HTCDS's own."""

    POLICE = "Police", _("Police")
    NGO = "NGO", _("NGO")
    COURT_OR_PROSECUTION = "CourtOrProsecution", _("Court or prosecution")
    NON_POLICE_GOVERNMENTAL = (
        "NonPoliceGovernmentalOrganization",
        _("Non-police governmental organisation"),
    )
    OTHER = "Other", _("Other")


#: The type an organisation of a sector has when it decides a trafficking status (the
#: default of the form; the person recording may choose another).
SECTOR_DECIDING_TYPE: dict[str, DecidingOrganisationType] = {
    Sector.POLICE: DecidingOrganisationType.POLICE,
    Sector.ROYAL_MARECHAUSSEE: DecidingOrganisationType.POLICE,
    Sector.PUBLIC_PROSECUTION: DecidingOrganisationType.COURT_OR_PROSECUTION,
    Sector.LABOUR_INSPECTORATE: DecidingOrganisationType.NON_POLICE_GOVERNMENTAL,
    Sector.IMMIGRATION_SERVICE: DecidingOrganisationType.NON_POLICE_GOVERNMENTAL,
    Sector.ASYLUM_RECEPTION: DecidingOrganisationType.NON_POLICE_GOVERNMENTAL,
    Sector.MUNICIPALITY: DecidingOrganisationType.NON_POLICE_GOVERNMENTAL,
    Sector.CARE_COORDINATION: DecidingOrganisationType.NON_POLICE_GOVERNMENTAL,
    Sector.SHELTER: DecidingOrganisationType.NGO,
    Sector.NGO: DecidingOrganisationType.NGO,
    Sector.MIGRANT_ORGANISATION: DecidingOrganisationType.NGO,
}


def deciding_type_for(sector: str) -> DecidingOrganisationType:
    return SECTOR_DECIDING_TYPE.get(sector, DecidingOrganisationType.OTHER)


#: The person roles a case orders first: the people the case is for.
VICTIM_ROLES = frozenset({"possible_victim"})

#: The purposes of sharing a case may carry: codes of the reviewed ``purposes`` vocabulary
#: (signals' rules file, where their labels are); the access matrix's case rules use them.
CASE_PURPOSES = ("victim_protection", "care_referral", "criminal_investigation")
DEFAULT_PURPOSE = "victim_protection"

#: TLP labels from least to most restrictive: a case opened from signals carries the strictest
#: of theirs, and never TLP:CLEAR (a case always holds personal data).
TLP_ORDER = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
LEAST_CASE_TLP = "AMBER"


def strictest_tlp(labels: list[str]) -> str:
    ranks = [TLP_ORDER.index(label) for label in labels if label in TLP_ORDER]
    return TLP_ORDER[max([*ranks, TLP_ORDER.index(LEAST_CASE_TLP)])]


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")
    MERGED = "merged", _("Merged into another plan")


class RequestKind(models.TextChoices):
    SHELTER_PLACEMENT = "shelter_placement", _("Shelter placement")
    COMENSHA_REGISTRATION = "comensha_registration", _("Registration with CoMensha")


class RequestStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class HandoverStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: A person in the case with one of these trafficking statuses (or a victim's role) has a plan.
PLAN_STATUSES = frozenset({TraffickingStatus.POSSIBLE_VICTIM, TraffickingStatus.ACTUAL_VICTIM})


# --- The secured line: police, prosecution and the care coordinator ---------------------------


class MessageKind(models.TextChoices):
    REQUEST_FOR_INFORMATION = "request_for_information", _("Request for information")
    INTENTION_TO_REPORT = "intention_to_report", _("Intention to report (aangifte)")
    INFORMATION_SHARED = "information_shared", _("Information shared")
    CONSENT_GIVEN = "consent_given", _("Consent given")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")


#: The kinds a party writes itself; a consent-given or consent-withdrawn message is sent by
#: recording or withdrawing the consent (``schakel.cases.messages``), never typed.
WRITTEN_MESSAGE_KINDS = (
    MessageKind.REQUEST_FOR_INFORMATION,
    MessageKind.INTENTION_TO_REPORT,
    MessageKind.INFORMATION_SHARED,
)

#: The sectors on the justice side of the line: the police (its aliens, identification and
#: trafficking unit AVIM among them), the Public Prosecution Service and the Royal
#: Marechaussee. The other side is the organisation of the case's care coordinator.
JUSTICE_LINE_SECTORS = (Sector.POLICE, Sector.PUBLIC_PROSECUTION, Sector.ROYAL_MARECHAUSSEE)

#: The purposes a message on the line may carry: codes of the signals' ``purposes``
#: vocabulary, as cases use them.
MESSAGE_PURPOSES = CASE_PURPOSES

#: The legal basis (a code of the access matrix's ``legal_bases``) of what is shared under a
#: person's consent.
CONSENT_LEGAL_BASIS = "wgbo_consent"

#: HTCDS v2.0 ``con_Consent`` (a checkbox, DRAFT in the standard): does the person consent?
#: A recorded consent maps to ``True`` until it is withdrawn, then to ``False``. The
#: standard's guidance asks whether the person was told the purpose, the use of the data and
#: how to withdraw; our record's ``informed`` holds that answer, and the deprecated
#: ``vic_AgreementToManagePersonalData`` is not used.
HTCDS_CONSENT_FIELD = "con_Consent"


def htcds_consent(*, withdrawn: bool) -> dict[str, bool]:
    return {HTCDS_CONSENT_FIELD: not withdrawn}
