"""Shell completion of partnership ids (from the workspace) and indicator ids (from the catalogue).

Click calls these while the user presses TAB (`_C2C_COMPLETE=bash_source c2c`, see the README), so they
must be quick, quiet and harmless: the workspace is opened read-only without its lock (a completion never
waits for, or blocks, a running `c2c`), nothing is migrated or written, and any problem (no workspace yet,
the store busy with a writer, a broken file) completes nothing instead of printing a traceback into the
user's command line.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from click.shell_completion import CompletionItem


def _workspace_dir(ctx: click.Context) -> Path | None:
    """The --workspace given so far on the command line (this command's or its group's), else C2C_WORKSPACE."""
    c: click.Context | None = ctx
    while c is not None:
        value = c.params.get("workspace")
        if value:
            return Path(str(value)).expanduser()
        c = c.parent
    env = os.environ.get("C2C_WORKSPACE")
    return Path(env).expanduser() if env else None


def partnership_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    root = _workspace_dir(ctx)
    if root is None:
        return []
    from c2c_monitor.store.workspace import DB_NAME

    db = root / DB_NAME
    if not db.is_file():
        return []
    try:
        import duckdb

        from c2c_monitor.store.reads import partnership_ids as read_ids

        con = duckdb.connect(str(db), read_only=True, config={"autoinstall_known_extensions": False,
                                                              "autoload_known_extensions": False})
        try:
            ids = read_ids(con)
        finally:
            con.close()
    except Exception:  # a completion that fails offers nothing; it never breaks the shell
        return []
    return [CompletionItem(i) for i in ids if i.startswith(incomplete)]


def indicator_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    try:
        from c2c_monitor.store.catalog_cache import listing

        ids = [str(row["id"]) for row in listing()]
    except Exception:  # as above: a broken catalogue completes nothing
        return []
    return [CompletionItem(i) for i in ids if i.startswith(incomplete)]
