"""`promote SRC DST`: plan, land atomically, push, pull requests, commit trailers."""
