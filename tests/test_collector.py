"""c2c_monitor/score/collector.paused: the cycle collector is left as it was found, whatever the block does."""

from __future__ import annotations

import gc

import pytest


@pytest.mark.parametrize("was_on", [True, False])
def test_the_collector_is_left_as_found_after_a_block_that_ends_or_raises(was_on: bool) -> None:
    from c2c_monitor.score.collector import paused

    before = gc.isenabled()
    (gc.enable if was_on else gc.disable)()
    try:
        with paused():
            assert not gc.isenabled()
        assert gc.isenabled() is was_on
        with pytest.raises(KeyError), paused():
            raise KeyError("x")
        assert gc.isenabled() is was_on and gc.get_freeze_count() == 0
    finally:
        (gc.enable if before else gc.disable)()


def test_the_open_data_figures_pause_the_collector_and_turn_it_back_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """publish/opendata.figures builds its rows with the collector off (a 1,000-partnership publish spent 0.3 s
    in full passes over the scoreboards there) and turns it back on, also when building them fails."""
    from c2c_monitor.publish import opendata

    seen: list[bool] = []

    def spy(sbs: list[object]) -> list[opendata.Resource]:
        seen.append(gc.isenabled())
        raise ValueError("no scoreboards")

    monkeypatch.setattr(opendata, "_figures", spy)
    before = gc.isenabled()
    gc.enable()
    try:
        with pytest.raises(ValueError):
            opendata.figures([])
        assert seen == [False] and gc.isenabled()
    finally:
        (gc.enable if before else gc.disable)()
