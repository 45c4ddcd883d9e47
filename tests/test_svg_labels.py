"""The principles chart's labels: a title too long for the left margin is cut visibly, not mid-word in silence."""

from __future__ import annotations

from c2c_monitor.render.svg import principle_rounds


def test_a_long_principle_title_is_cut_with_an_ellipsis_and_a_short_one_is_whole() -> None:
    long_title = "Liens entre zones rurales et urbaines"  # P03 in French, 37 characters
    svg = principle_rounds([("P03", long_title), ("P04", "Données")], ["2024"],
                           {"2024": {"P03": 2.8, "P04": 3.0}}, lang="fr")
    assert "P03 Liens entre zones rurales et…" in svg
    assert long_title not in svg and "rurales et u<" not in svg
    assert "P04 Données<" in svg
