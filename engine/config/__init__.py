"""The graph file: loading, validating, the promotion graph, durations."""
