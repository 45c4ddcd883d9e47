"""Disclosure control: which rating figures of a workshop round may leave the workspace.

The one rule every output applies (scoreboards, the published site, open data, the live projector; issue 18's
partner-type breakdown is meant to call `group_plan` too), in the manner of statistical offices:

* thresholds: a median (or a mean of medians) needs at least `k_mean` ratings behind it (default 3); a spread
  (minimum, maximum, interquartile range, the disagreement flag computed from them) needs `k_spread` (default
  5). `c2c.toml` may raise both (`min_group_size`, `min_spread_size`), never lower them;
* a spread is also withheld when all but at most one of the ratings are equal: "lowest = highest" would
  otherwise tell everyone's rating. Withholding says only "at most one person differs", which pins nobody;
  and it is withheld in a round whose stakeholder groups are shown (order statistics of the round plus group
  medians can tell which ratings a group holds);
* complementary suppression: a stakeholder group is shown only if it has `k_mean` people, and the people left
  out of the shown groups (the round total minus the shown parts) are either none or at least `k_mean`: the
  smallest shown groups are merged into "other groups" until that holds. Inside a shown group a question's
  median counts only with `k_mean` ratings, and a principle score is the mean of the question scores that are
  themselves published, so no published total minus published parts isolates fewer than `k_mean` ratings;
* readable agreement: a group whose members all gave a question one rating is merged away when the published
  medians (the question's over the round, and the group cells' behind the group scores) leave them no other
  rating (`pinned_cell`; ratings.disclosed_plans applies it), and a readable merged group takes the round's group
  table with it: a whole published partition can otherwise pin a unanimous group of three;
* partner types: a type is a union of groups the group table shows on their own (ratings.partner_type_ratings),
  and the type table passes the same rule; read beside the group table it can still pin a unanimous group (a
  type's median rules out the one rating the group could otherwise have changed), so a round whose two tables
  together pin a cell (`pinned_jointly`; ratings.types_pin_a_cell) shows its group table only;
* across rounds: a round whose participants are those of an earlier published round plus or minus fewer than
  `k_mean` people (compared by participant code) is withheld, since differencing the two rounds' figures
  would read the few people who came or went. The same holds between the loads of one round (sheets merged
  over time): a load that adds fewer than `k_mean` people waits until enough have come
  (score/rounds.disclosed_states).

Spreads and group medians are never published together: with both, a reader could read back the people of a
small group (tests/test_disclosure.py found such a round). The property test there plays that reader on the
published files; it is the check of this rule, not a proof.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

K_MEAN = 3  # default and floor: fewer ratings behind a median could be read back
K_SPREAD = 5  # default and floor for minimum, maximum, interquartile range
MERGED_GROUP = "other groups (merged)"


@dataclass(frozen=True)
class Thresholds:
    k_mean: int = K_MEAN
    k_spread: int = K_SPREAD

    def __post_init__(self) -> None:
        # Thresholds only go up: a caller cannot make the tool laxer than its defaults.
        if self.k_mean < K_MEAN or self.k_spread < K_SPREAD:
            raise ValueError(f"disclosure thresholds may not go below {K_MEAN} (medians) and {K_SPREAD} (spreads)")


DEFAULT = Thresholds()


def median_disclosed(n_ratings: int, t: Thresholds = DEFAULT) -> bool:
    """May the median (or a mean built from it) of `n_ratings` numeric ratings be published?"""
    return n_ratings >= t.k_mean


def spread_disclosed(ratings: Sequence[int], t: Thresholds = DEFAULT, groups_shown: bool = False) -> bool:
    """May minimum, maximum, quartiles and the disagreement flag of these ratings be published?

    Not beside a stakeholder-group breakdown of the same round: the round's order statistics pin down its
    multiset of ratings, and a group's median then tells which ratings the group holds, so the people outside
    it (a merged group of three, say) can be read back. Found by the reader in tests/test_disclosure.py.
    """
    n = len(ratings)
    if n < t.k_spread or groups_shown:
        return False
    # All but one equal: the extremes would name everyone's rating (and the odd one's, by the median). Counted
    # with list.count over the few distinct ratings (1-5): a cohort asks this of every question of every round.
    values = ratings if isinstance(ratings, list) else list(ratings)
    return max(map(values.count, set(values))) <= n - 2


def median_disclosed_expr(n_ratings: pl.Expr, t: Thresholds = DEFAULT) -> pl.Expr:
    """`median_disclosed` as a polars expression, for every question of every round of a cohort at once."""
    return n_ratings >= t.k_mean


def spread_disclosed_expr(n_ratings: pl.Expr, most_equal: pl.Expr, groups_shown: pl.Expr,
                          t: Thresholds = DEFAULT) -> pl.Expr:
    """`spread_disclosed` as a polars expression: `n_ratings` the number of ratings (`len(ratings)`),
    `most_equal` how many of them share the commonest value, `groups_shown` whether the round's stakeholder
    groups are shown. `spread_disclosed` stays the rule; tests/test_disclosure.py checks the two agree."""
    return (n_ratings >= t.k_spread) & ~groups_shown & (most_equal <= n_ratings - 2)


def group_plan(sizes: Mapping[str, int], t: Thresholds = DEFAULT, merge: Collection[str] = ()) -> dict[str, str]:
    """Published label of each stakeholder group (its own name, or MERGED_GROUP); groups absent are withheld.

    `sizes`: participants per stakeholder group of one round. The shown groups and the merged one all have
    `k_mean` people, and nobody is left out unless the left-out people number 0 (so the round total minus the
    shown groups never isolates fewer than `k_mean` people). Groups in `merge` are never shown on their own
    (`pinned_cell` found them readable).
    """
    # People without a group ("") are never a group of their own.
    own = sorted((g for g, n in sizes.items() if n >= t.k_mean and g and g not in merge),
                 key=lambda g: (sizes[g], g))
    merged = [g for g in sizes if g not in own and sizes[g] > 0]
    rest = sum(sizes[g] for g in merged)
    while 0 < rest < t.k_mean and own:
        g = own.pop(0)  # the smallest shown group makes the merged one large enough
        merged.append(g)
        rest += sizes[g]
    plan = {g: g for g in own}
    if rest >= t.k_mean and own:
        plan |= {g: MERGED_GROUP for g in merged}
    # With no group of its own left, one merged group would repeat the round's figures under another name.
    return plan


def _median(values: Sequence[int]) -> float:
    s = sorted(values)
    m = len(s) // 2
    return float(s[m]) if len(s) % 2 else (s[m - 1] + s[m]) / 2


def pinned_cell(cells: Mapping[str | None, Sequence[int]], t: Thresholds = DEFAULT,
                scale: Sequence[int] = (1, 2, 3, 4, 5)) -> str | None:
    """A published cell of one question whose raters all gave one rating that the published figures give away.

    `cells`: the numeric ratings of one question of one round, by published group label (None: people in no
    published group). What a round with groups shown publishes of the question is its median over everyone
    and, inside a group, the median of a cell of `k_mean` ratings or more (through the group's principle score;
    spreads are never shown beside groups). A cell whose raters all gave v is safe when another rating vector
    gives the same figures with one of them not giving v: one of them giving another rating w (every cell of
    `k_mean` or more keeps its median v) with the question's median unchanged; or one of them trading ratings
    with a person of another cell whose median, if published, stays the same (the question's median cannot
    move: the ratings are the same). A cell with neither is pinned (tests/test_disclosure.py's reader found
    one: three people of one group, the rest of the room merged, and a median with no room to move).
    Sufficient, not necessary: a cell called pinned may have other alternatives, so this withholds more than
    the least it must.
    """
    # The same search as `pinned_jointly`'s, for cells that do not overlap (a partition of the room): one
    # mechanism for both tables. The people in no published group get a key no label can be (labels hold no
    # control character: they are refused at import, ingest/control_chars).
    ratings = {(_OUTSIDE if g is None else g): values for g, values in cells.items()}
    pinned = pinned_jointly(ratings, [frozenset({g}) for g in cells if g is not None], t, scale)
    return None if pinned is None else next(iter(pinned))


_OUTSIDE = "\x00in no published group"


def pinned_jointly(ratings: Mapping[str, Sequence[int]], cells: Collection[frozenset[str]], t: Thresholds = DEFAULT,
                   scale: Sequence[int] = (1, 2, 3, 4, 5)) -> frozenset[str] | None:
    """`pinned_cell` for a round whose published cells overlap: the group table's and the partner-type table's
    (a type is a union of shown groups), read together.

    `ratings`: the numeric ratings of one question of one round by stakeholder group; `cells`: every published
    cell of the round, as the set of stakeholder groups it holds (each table's own groups, merged group and
    types). The question's median over everyone is published, and so is the median of each cell holding
    `k_mean` ratings or more. Each table alone passed `pinned_cell`, but an alternative one table leaves open
    may move a median of the other: a type's median can rule out the one rating a unanimous group could
    otherwise have changed. A cell whose raters all gave v is safe here when another rating vector gives every
    published median with one of them not giving v: a member of one of its groups giving another rating w, or
    trading ratings with a person of a group outside the cell (the question's median cannot move then), every
    published cell holding a changed group keeping its median. Returns the first cell with neither (sorted, so
    the answer does not depend on the order of `cells`), or None. Sufficient, not necessary, as `pinned_cell`.
    """
    everyone = [x for values in ratings.values() for x in values]
    if len(everyone) < t.k_mean:
        return None  # nothing of the question is published
    median = _median(everyone)

    def members(cell: frozenset[str]) -> list[int]:
        return [x for g in sorted(cell) for x in ratings.get(g, ())]

    published = [c for c in cells if len(members(c)) >= t.k_mean]
    medians = {c: _median(members(c)) for c in published}

    def kept(changed: Mapping[str, list[int]]) -> bool:
        """Does every published cell holding a changed group keep its median?"""
        for c in published:
            if any(g in c for g in changed):
                values = [x for g in sorted(c) for x in changed.get(g, ratings.get(g, ()))]
                if _median(values) != medians[c]:
                    return False
        return True

    def without(values: Sequence[int], x: int) -> list[int]:
        out = list(values)
        out.remove(x)
        return out

    for cell in sorted(published, key=lambda c: sorted(c)):
        values = members(cell)
        v = values[0]
        if any(x != v for x in values):
            continue
        rest = without(everyone, v)
        safe = any(_median([*rest, w]) == median and kept({g: [*without(ratings[g], v), w]})
                   for g in sorted(cell) if ratings.get(g) for w in scale if w != v)
        safe = safe or any(kept({g: [*without(ratings[g], v), x], h: [*without(ratings[h], x), v]})
                           for g in sorted(cell) if ratings.get(g)
                           for h in sorted(ratings) if h not in cell for x in sorted(set(ratings[h]) - {v}))
        if not safe:
            return cell
    return None


def round_withheld(current: Collection[str], published_before: Sequence[Collection[str]],
                   t: Thresholds = DEFAULT) -> str | None:
    """Why a round's figures may not be published, or None.

    `current`: participant codes of this round; `published_before`: those of each earlier round whose figures
    were published (a withheld round is not compared against: nothing of it can be differenced).
    """
    if len(current) < t.k_mean:
        return f"fewer than {t.k_mean} participants"
    cur = set(current)
    for previous in published_before:
        prev = set(previous)
        if cur == prev:
            continue
        if prev <= cur and len(cur - prev) < t.k_mean:
            return f"an earlier round's participants plus {len(cur - prev)}: fewer than {t.k_mean} people apart"
        if cur <= prev and len(prev - cur) < t.k_mean:
            return f"an earlier round's participants less {len(prev - cur)}: fewer than {t.k_mean} people apart"
    return None


def published_rounds(participants: Sequence[Collection[str]], t: Thresholds = DEFAULT) -> list[str | None]:
    """For rounds in the order held (their participant codes), why each is withheld (None: published)."""
    done: list[Collection[str]] = []
    out: list[str | None] = []
    for codes in participants:
        why = round_withheld(codes, done, t)
        out.append(why)
        if why is None:
            done.append(codes)
    return out
