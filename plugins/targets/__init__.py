"""Built-in reconciliation targets (the `targets` hook family)."""
