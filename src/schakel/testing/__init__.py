"""Test support shared by every app: the persona fixtures and the test-database switch."""
