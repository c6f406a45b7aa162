"""Partners: organisations, regions, sharing groups, users and roles.

Public surface: ``schakel.partners.models`` (Organisation, Region, RegionContact,
SharingGroup, User), ``schakel.partners.vocabulary`` (Sector, Role, Function, RegionKind,
ContactKind) and ``schakel.partners.services``.
"""
