"""The rich console every terminal table is printed on: text printed as given, never read as markup.

Rich reads `[...]` in a string as a style tag by default: a city called "Lyon [FR]" lost its "[FR]", an action
"[draft] budget" its first word, and a name holding "[/]" stopped the command with rich's MarkupError. Names,
titles, groups and actions come from the workspace's users, so no string printed on a table is markup; the
few emphases of our own are Text styles.
"""

from __future__ import annotations

from typing import IO

from rich.console import Console


def text_console(file: IO[str], width: int, color: bool | None = None) -> Console:
    """A console writing to `file`, `width` cells wide; `color` None: as the terminal allows, False: none."""
    return Console(file=file, width=width, force_terminal=color, no_color=color is False, markup=False,
                   highlight=False, emoji=False)
