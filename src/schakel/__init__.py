"""Schakel: the chain of partners against human trafficking, working as one."""

__version__ = "0.1.0"
