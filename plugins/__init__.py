"""Built-in plugins. Each module is registered by `engine.plugins.DEFAULT_PLUGINS` exactly like a
third-party plugin found through the `promote` entry-point group."""
