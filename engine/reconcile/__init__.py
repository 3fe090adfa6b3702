"""Rendering, applying to Kubernetes, watching, leader election."""
