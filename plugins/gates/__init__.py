"""Built-in gates, one module each, registered through `promote_register_gates` like any plugin."""
