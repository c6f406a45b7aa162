"""Views of the partners context: thin adapters over ``schakel.partners.services``."""
