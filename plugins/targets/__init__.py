"""Reconciliation targets: where an environment's rendered objects are applied."""
