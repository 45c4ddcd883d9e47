"""The vocabulary of follow-up actions: the statuses an action moves through and the priority scale.

Kept with the definitions (not in `workshop/` or `render/`) because the command line offers them as
choices before anything heavy is imported, the workshop validates against them and the renderers give
each a symbol.
"""

ACTION_STATUSES = ("open", "in progress", "done", "dropped")
# An action in one of these is no longer expected, so it cannot be overdue.
CLOSED_STATUSES = ("done", "dropped")

# Priority as in the health check's implementation plan (seed 001, Annex 4): 1 low ... 5 high. Actions at
# HIGH_PRIORITY or above lead the action section with the overdue ones.
PRIORITIES = (1, 2, 3, 4, 5)
HIGH_PRIORITY = 4
# The short id of an action within its partnership, ... never given out twice.
ACTION_ID_PATTERN = r"^A-\d{3,}$"


def action_id(number: int) -> str:
    return f"A-{number:03d}"
