"""Audit: the append-only, tamper-evident access and change log."""
