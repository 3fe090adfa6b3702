"""Built-in reconciliation targets: where an environment's rendered objects are applied."""
