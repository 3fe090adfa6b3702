"""promote: a GitOps promotion engine.

Import nothing heavy here: `promote --help` must stay fast and must not load `kubernetes`.
"""

__version__ = "0.1.0"
