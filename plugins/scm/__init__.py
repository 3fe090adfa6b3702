"""Built-in code hosts for `promote SRC DST --pr` (the `scm` hook family)."""
