"""The vocabulary of follow-up actions: the statuses an action moves through.

Kept with the definitions (not in `workshop/` or `render/`) because the command line offers them as
choices before anything heavy is imported, the workshop validates against them and the renderers give
each a symbol.
"""

ACTION_STATUSES = ("open", "in progress", "done", "dropped")
# An action in one of these is no longer expected, so it cannot be overdue.
CLOSED_STATUSES = ("done", "dropped")
