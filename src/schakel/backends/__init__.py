"""Schakel's database backends: Django's, with what its hot paths need."""
