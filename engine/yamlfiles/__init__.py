"""Environments' YAML files: reading them as kustomize does, byte-exact edits, overrides."""
