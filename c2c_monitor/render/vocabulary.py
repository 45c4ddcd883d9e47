"""Words that come with the data and are shown to people: trends, statuses, lights, reasons, groups.

The scores keep them in English (they are also data: JSON, CSV, open data); the outputs for people show
them through the catalogs (`| t` in templates, `_(word)` in the tables). Listing them here with `N_` is
what puts them into the .pot; tests/test_i18n.py checks that every value the code can produce is here.
"""

from __future__ import annotations

from c2c_monitor.render.i18n import N_

WORDS: tuple[str, ...] = (
    # indicator trends (score.maths) and principle trends (score.ratings)
    N_("end value reached"), N_("on track"), N_("moderately improving"), N_("stagnating"), N_("deteriorating"),
    N_("not enough data"), N_("improving"), N_("stable"), N_("no previous round"),
    # principle statuses
    N_("scored"), N_("insufficient data"), N_("not assessed"),
    # lights (render.symbols.LIGHT_WORD)
    N_("close to end value"), N_("half way"), N_("far from end value"), N_("no data"),
    # follow-up action statuses
    N_("open"), N_("in progress"), N_("done"), N_("dropped"),
    # changes between two rounds or periods (score.comparison.Change)
    N_("improved"), N_("deteriorated"), N_("unchanged"), N_("new"), N_("missing"),
    # indicator lists, target kinds, city roles
    N_("simplified"), N_("long"), N_("harmonised"), N_("local"), N_("european"), N_("partner"),
    # why a value is missing (engine.spec / engine.reported REASON_*)
    N_("missing: no data"), N_("missing: zero denominator"), N_("missing: no population figure"),
    N_("missing: no previous period"), N_("missing: zero base in previous period"),
    N_("missing: result is not a finite number"), N_("missing: blank in source"),
    # aggregate dimensions and their keys
    N_("ec_objective"), N_("dac"), N_("sdg"), N_("principle"),
    N_("relevance"), N_("coherence"), N_("effectiveness"), N_("efficiency"), N_("impact"), N_("sustainability"),
    N_("prosperity_innovation"), N_("resilience_greening"), N_("social_inclusiveness"), N_("urban_governance"),
    # stakeholder groups (definitions.records, with "_" shown as a space) and the merged group
    N_("local government"), N_("regional national government"), N_("civil society"), N_("academia"),
    N_("private sector"), N_("youth"), N_("donor finance"), N_("other groups (merged)"),
    # kinds of data vintage shown on the site
    N_("demo"), N_("observations"),
    # yes/no indicator values
    N_("yes"), N_("no"),
    # descriptions of the open data files (publish.opendata)
    N_("Partnerships, their cities and latest workshop round"),
    N_("Indicator values, scores (0-100, 100 = 2030 end value reached), lights and trends"),
    N_("Principle scores (1-5) of the latest workshop round"),
    N_("Per question: number of ratings, median, spread, share of don't know, agreed rating, answers that "
       "are not ratings and blanks (medians and spreads below the disclosure thresholds left empty)"),
    N_("Principle scores by stakeholder group (groups below the minimum size merged)"),
    N_("The implementation plan: follow-up actions, priority (1 low - 5 high), agreed timeframe and status"),
)
