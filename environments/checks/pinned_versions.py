"""A `command` gate of the example: refuse to promote mutable or unreleased versions.

Reads the plan as JSON on stdin (see docs/gates.md); exit 0 passes, the last line is the reason.
"""

import json
import re
import sys

MUTABLE = {"latest", "main", "master", "head", "dev", "edge", "stable"}
UNRELEASED = re.compile(r"(-dirty|-snapshot|-wip)$", re.IGNORECASE)

plan = json.load(sys.stdin)
refused = [
    f"{change['name']} {change['new']}"
    for change in plan["changes"]
    if change["new"].lower() in MUTABLE or UNRELEASED.search(change["new"])
]
if refused:
    print(f"mutable or unreleased versions: {', '.join(refused)}")
    sys.exit(1)
print(f"{len(plan['changes'])} versions are immutable releases")
