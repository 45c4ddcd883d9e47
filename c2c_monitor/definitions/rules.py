"""Every scoring rule and parameter, in one documented place.

Renderers never compute: they print what these rules produced, and every
output echoes `RULES.describe()` so that a reader can recompute any figure.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class IndicatorRules(BaseModel):
    model_config = ConfigDict(frozen=True)
    # Normalisation: score = clip(100 * (value - worst) / (end - worst), 0, 100); distance = 100 - score.
    # Traffic lights on the score (c2c-monitor convention, after the OECD localised-SDG
    # scoreboards that read "distance to the end value" in three bands).
    green_from: float = 80.0
    amber_from: float = 50.0
    # Trend: Open SDG / Statistics Canada progress measure. With a target, the ratio of the
    # observed compound annual growth rate to the rate needed to reach the target by the
    # target year; linear rates replace CAGR when a value is zero or negative. The observed rate
    # uses every point (issue 17): a Theil-Sen slope for annual series, the median year-on-year
    # change for sub-annual ones (a seasonal dip no longer decides the class).
    target_year: int = 2030
    on_track_ratio: float = 0.95
    moderate_ratio: float = 0.60
    stagnating_ratio: float = 0.0
    trend_window_years: float = 5.0  # only the last N years of a series count
    min_points: int = 2
    min_span_years: float = 0.5  # quarterly series need at least two quarters apart


class PrincipleRules(BaseModel):
    model_config = ConfigDict(frozen=True)
    # A principle needs this share of its questions answered, else "insufficient data".
    min_coverage: float = 0.5
    # Difference to the previous round's score that counts as a change.
    trend_threshold: float = 0.25
    # Disagreement: participants are far apart when the interquartile range reaches this ...
    disagreement_iqr: float = 2.0
    # ... or when the range reaches this with at least `disagreement_min_n` ratings.
    disagreement_range: float = 3.0
    disagreement_min_n: int = 3


class Rules(BaseModel):
    model_config = ConfigDict(frozen=True)
    version: str = "rules-3"  # rules-3: the readable-agreement disclosure rule (a group table can be withheld)
    indicators: IndicatorRules = IndicatorRules()
    principles: PrincipleRules = PrincipleRules()

    def describe(self) -> list[str]:
        i, p = self.indicators, self.principles
        return [
            "Score = 100 x (value - worst) / (end value - worst), clipped to 0-100; "
            "distance = 100 - score (100 = 2030 end value reached).",
            f"Light: green if score >= {i.green_from:g}, amber if >= {i.amber_from:g}, else red.",
            f"Trend over the last {i.trend_window_years:g} years (from the last series break): "
            f"ratio R of observed to required compound annual growth to reach the end value by "
            f"{i.target_year}; on track if R >= {i.on_track_ratio:g}, moderately improving if "
            f"R >= {i.moderate_ratio:g}, stagnating if R >= {i.stagnating_ratio:g}, else "
            f"deteriorating; at least {i.min_points} values needed. Linear rates replace growth "
            "rates when a value is zero or negative.",
            "Observed rate from every value of the window: for annual series the Theil-Sen slope (median "
            "of the slopes between every two values, of the logarithm for a growth rate); for quarterly "
            "series the median year-on-year change (same quarter a year earlier; none: not enough data).",
            "Principle score = mean of the published question scores (agreed rating, else median of ratings); "
            f"'insufficient data' below {p.min_coverage:.0%} of questions answered; "
            "'not applicable' and 'don't know' never count as numbers.",
            f"Principle trend: improving / deteriorating when the score moved by at least "
            f"{p.trend_threshold:g} since the previous round, else stable.",
            f"Disagreement flag: interquartile range >= {p.disagreement_iqr:g}, or range >= "
            f"{p.disagreement_range:g} with at least {p.disagreement_min_n} ratings.",
            "Disclosure control (thresholds are the defaults; a workspace may raise them): a median needs 3 "
            "ratings, a spread (lowest, highest, interquartile range, disagreement flag) 5 and is withheld when "
            "all ratings but one are equal or when the round's stakeholder groups are shown; stakeholder "
            "groups need 3 people, and the people outside the groups shown are none or at least 3; a group "
            "whose members all gave a question one rating is merged when the published medians would leave them "
            "no other; a round a few people (under 3) apart from an earlier published "
            "round is withheld, and a sheet adding under 3 people to a round waits for more.",
        ]


RULES = Rules()
