"""Evaluating gates and counting approvals."""
