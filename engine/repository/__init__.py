"""Git (the only GitPython importer), hooks, and code hosts."""
