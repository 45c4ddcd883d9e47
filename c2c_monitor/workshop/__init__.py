"""Stage 6, workshop: the self-assessment rounds as the facilitator runs them.

Owns ratings sheets (templates and validated imports, KoboToolbox/ODK exports included), agreed ratings,
follow-up actions and the XLSForm for phones. The printed kit is made by `publish.kit`.
May import: `definitions`, `store`, `ingest` (its file readers), `score`.
"""
