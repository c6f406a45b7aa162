"""Fixed, translated vocabularies of the partners context."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    POLICE = "police", _("Police")
    PUBLIC_PROSECUTION = "public_prosecution", _("Public prosecution")
    LABOUR_INSPECTORATE = "labour_inspectorate", _("Labour inspectorate")
    ROYAL_MARECHAUSSEE = "royal_marechaussee", _("Royal Marechaussee")
    IMMIGRATION_SERVICE = "immigration_service", _("Immigration service")
    ASYLUM_RECEPTION = "asylum_reception", _("Asylum reception")
    MUNICIPALITY = "municipality", _("Municipality")
    CARE_COORDINATION = "care_coordination", _("Care coordination")
    SHELTER = "shelter", _("Shelter")
    YOUTH_CARE = "youth_care", _("Youth care")
    HEALTH_CARE = "health_care", _("Health care")
    NGO = "ngo", _("NGO")
    MIGRANT_ORGANISATION = "migrant_organisation", _("Migrant organisation")
    INTERNATIONAL_PARTNER = "international_partner", _("International partner")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", _("Front-desk worker")
    PROFESSIONAL = "professional", _("Professional")
    ANALYST = "analyst", _("Analyst")
    COORDINATOR = "coordinator", _("Coordinator")
    CARE_COORDINATOR = "care_coordinator", _("Care coordinator")
    NATIONAL_COORDINATOR = "national_coordinator", _("National coordinator")
    ORG_ADMIN = "org_admin", _("Organisation administrator")


class Function(models.TextChoices):
    """What an organisation does for the chain, beyond its sector; later contexts route by it."""

    IMMIGRATION_LIAISON = "immigration_liaison", _("Immigration liaison")
    NATIONAL_COORDINATION_CENTRE = "national_coordination_centre", _("National coordination centre")
    CARE_COORDINATION = "care_coordination", _("Care coordination for victims")
    SIGNAL_TABLE_CHAIR = "signal_table_chair", _("Signal table chair")
    REPORTING_OBLIGATION = "reporting_obligation", _("Obliged to report victims")
    SHELTER_PLACEMENT = "shelter_placement", _("Shelter placement")
    YOUTH_PROTECTION = "youth_protection", _("Youth protection")
    FINANCIAL_INVESTIGATION = "financial_investigation", _("Financial investigation")


class RegionKind(models.TextChoices):
    COUNTRY = "country", _("Country")
    REGION = "region", _("Region")
    MUNICIPALITY = "municipality", _("Municipality")


class ContactKind(models.TextChoices):
    CARE_COORDINATOR = "care_coordinator", _("Care coordinator")
    POLICE = "police", _("Police (AVIM)")
    LABOUR_INSPECTORATE = "labour_inspectorate", _("Labour inspectorate")
    SIGNAL_TABLE = "signal_table", _("Signal table secretary")
    OTHER = "other", _("Other")
