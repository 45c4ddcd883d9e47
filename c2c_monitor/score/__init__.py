"""Stage 5, score: values and ratings turned into scores, and the scoreboard model every output shares.

Owns the scoring maths (normalisation, lights, trends), the aggregation of workshop ratings, the
Scoreboard and Comparison models, and the assess and compare services that build them.
May import: `definitions`, `store`, `engine`.
"""
