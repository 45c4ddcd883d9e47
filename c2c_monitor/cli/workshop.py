"""`c2c workshop`: ratings sheets, import, agreed ratings, follow-up actions, XLSForm, the printable kit."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from c2c_monitor.cli.complete import partnership_ids
from c2c_monitor.cli.context import (
    LANGUAGES,
    csv_text,
    emit,
    guard,
    lang_option,
    langs_option,
    opened,
    show_rejected,
    workspace_options,
    write_report,
)
from c2c_monitor.cli.messages import _
from c2c_monitor.definitions.actions import ACTION_STATUSES

STATUSES = list(ACTION_STATUSES)


def _date(value: Any) -> dt.date | None:
    return value.date() if value is not None else None


@click.group()
def workshop() -> None:
    """Self-assessment workshops: printed kit, ratings sheets and phone forms, import, agreed ratings, actions."""


@workshop.command("template")
@click.argument("partnership", shell_complete=partnership_ids)
@workspace_options
@click.option("--participants", type=click.IntRange(1, 500), default=15, show_default=True)
@click.option("--output", "-o", "out_dir", type=click.Path(file_okay=False), default=".", show_default=True)
@lang_option
def workshop_template(partnership: str, workspace: str | None, wait: float, participants: int, out_dir: str,
                      lang: str | None) -> None:
    """Write a ratings sheet (CSV and XLSX with drop-down lists): one row per participant and question.

    The questions are in --lang, else in the partner city's language (`[city_languages]` in c2c.toml), else
    in the workspace's.
    """
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.workshop.sheets import write_template

    guard(out_dir, workspace)
    with opened(workspace, wait) as ws:
        from c2c_monitor.publish.kit import kit_languages

        paths = write_template(ws.con, load_framework(), partnership, Path(out_dir), participants,
                               lang or kit_languages(ws, partnership, None)[0])
    for p in paths:
        click.echo(_("wrote %(path)s", path=p), err=True)


@workshop.command("import")
@click.argument("file", type=click.Path())
@workspace_options
@click.option("--partnership", "-p", required=True, shell_complete=partnership_ids)
@click.option("--round", "round_id", required=True, help="Round id, e.g. 2025.")
@click.option("--held-on", type=click.DateTime(["%Y-%m-%d"]),
              help="Date of the workshop (required for a round's first sheet unless the sheet has a held_on "
                   "column or is a KoboToolbox/ODK export with submission times).")
@click.option("--sheet", help="Name of this sheet within the round (default: the file's name); participant "
              "codes are told apart per sheet.")
@click.option("--replace", "replace", metavar="SHEET", help="Correct the sheet SHEET already loaded in the round: "
              "this file replaces its rows (the earlier load stays in the history).")
@click.option("--dry-run", is_flag=True)
@click.option("--report", type=click.Path(), help="Write the findings to FILE (.json or .csv).")
def workshop_import(file: str, workspace: str | None, wait: float, partnership: str, round_id: str,
                    held_on: Any, sheet: str | None, replace: str | None, dry_run: bool, report: str | None) -> None:
    """Validate and load a ratings sheet, or a KoboToolbox/ODK export, (CSV or XLSX) as one vintage.

    Several sheets of one round add up (one per table or city); the same file twice is refused.
    """
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.errors import InputRejected, Report
    from c2c_monitor.workshop.sheets import import_ratings

    guard(report, workspace, [file])
    with opened(workspace, wait) as ws:
        try:
            res = import_ratings(ws.con, load_framework(), Path(file), partnership, round_id,
                                 held_on.date() if held_on else None, ws.config.language, dry_run,
                                 sheet=sheet, replace=replace)
        except InputRejected as exc:
            show_rejected(exc.report, report)
            raise
    write_report(Report(), report)
    skipped = f"; {res['skipped']} submission(s) rejected by a reviewer left out" if res["skipped"] else ""
    click.echo(("dry run: " if dry_run else "") + f"{res['ratings']} rating(s) from {res['participants']} "
               f"participant(s), sheet {res['sheet']!r} of round {round_id} held on {res['held_on']}{skipped}"
               + (f"; vintage {res['vintage_id']}" if "vintage_id" in res else ""), err=True)


@workshop.command("agree")
@click.argument("partnership", shell_complete=partnership_ids)
@workspace_options
@click.option("--round", "round_id", required=True)
@click.option("--question", required=True, help="Question id, e.g. P09.2.")
@click.option("--rating", type=int, required=True)
@click.option("--reason", required=True, help="Why the workshop agreed this rating.")
def workshop_agree(partnership: str, workspace: str | None, wait: float, round_id: str, question: str,
                   rating: int, reason: str) -> None:
    """Record the rating the workshop agreed for a question (the median is kept beside it)."""
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.workshop.sheets import agree

    with opened(workspace, wait) as ws:
        vid = agree(ws.con, load_framework(), partnership, round_id, question, rating, reason)
    click.echo(f"agreed rating recorded (vintage {vid})", err=True)


@workshop.command("actions")
@click.argument("partnership", shell_complete=partnership_ids)
@workspace_options
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx"]), default="table",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write to FILE (needed for xlsx) instead of standard output.")
def workshop_actions(partnership: str, workspace: str | None, wait: float, fmt: str, output: str | None) -> None:
    """The action plan (latest version of each action) laid out as the health check's implementation plan:
    action, enablers / resources, owner, priority, agreed timeframe, status, principles, round.

    Overdue and high-priority actions come first. Fill the CSV or XLSX in and load it back with
    `c2c workshop action import`.
    """
    from c2c_monitor.score.assess import action_rows, partnership_info
    from c2c_monitor.workshop.actions import plan_header, plan_rows, write_plan_xlsx

    if fmt == "xlsx" and (output is None or output == "-"):
        raise click.UsageError("--format xlsx writes a file: give --output FILE.xlsx")
    guard(output, workspace)
    with opened(workspace, wait) as ws:
        info = partnership_info(ws.con, partnership)
        rows = action_rows(ws.con, partnership, None)
    if fmt == "json":
        emit(json.dumps([a.model_dump() for a in rows], indent=2, ensure_ascii=False) + "\n", output)
        return
    if fmt == "csv":
        emit(csv_text(plan_header(), plan_rows(rows)), output)  # every cell through store/cells
        return
    if fmt == "xlsx":
        assert output is not None
        path = write_plan_xlsx(rows, info.name, Path(output))
        click.echo(f"wrote {path}", err=True)
        return
    from c2c_monitor.render.terminal import render_action_plan

    emit(render_action_plan(rows), output)
    click.echo(f"{len(rows)} action(s)", err=True)


@workshop.group("action")
def workshop_action() -> None:
    """Record, update, trace or import the actions of the plan."""


def _principles(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p.strip().upper() for v in values for p in v.split(",") if p.strip())


def _timeframe(text: str | None, due: Any = None) -> dict[str, Any]:
    """--timeframe (a date or a period) or --due (a date) as the action's timeframe and due date."""
    from c2c_monitor.workshop.actions import parse_timeframe

    if text is None:
        day = _date(due)
        return {"due": day, "timeframe": day.isoformat()} if day else {}
    try:
        timeframe, due = parse_timeframe(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--timeframe") from None
    return {"timeframe": timeframe, "due": due}


@workshop_action.command("add")
@click.argument("partnership", shell_complete=partnership_ids)
@workspace_options
@click.option("--principle", "principles", required=True, multiple=True,
              help="Principle id(s) it answers, e.g. P09 (repeat, or P09,P05).")
@click.option("--text", required=True, help="What will be done.")
@click.option("--enablers", help="Enablers / resources required.")
@click.option("--owner", help="Who is responsible (an office or role, not a private person).")
@click.option("--priority", type=click.IntRange(1, 5), help="1 (low) to 5 (high).")
@click.option("--timeframe", help="Agreed timeframe: a date (YYYY-MM-DD) or a period (2026, 2026-Q2, 2026-06).")
@click.option("--due", type=click.DateTime(["%Y-%m-%d"]), help="Due date (same as --timeframe YYYY-MM-DD).")
@click.option("--round", "round_id", help="The workshop round that agreed it.")
@click.option("--status", type=click.Choice(STATUSES), default="open", show_default=True)
def action_add(partnership: str, workspace: str | None, wait: float, principles: tuple[str, ...], text: str,
               enablers: str | None, owner: str | None, priority: int | None, timeframe: str | None, due: Any,
               round_id: str | None, status: str) -> None:
    """Add an action to the plan; prints its id (A-001, ...)."""
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.workshop.actions import Fields, add_action

    when = _timeframe(timeframe, due)
    f = Fields(principles=_principles(principles), text=text, owner=owner, enablers=enablers, priority=priority,
               status=status, round_id=round_id, **when)
    with opened(workspace, wait) as ws:
        aid = add_action(ws.con, load_framework(), partnership, f)
    click.echo(aid)


@workshop_action.command("set")
@click.argument("action_id")
@workspace_options
@click.option("--partnership", "-p", shell_complete=partnership_ids,
              help="The partnership of a short id (A-001); an old id needs none.")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--owner")
@click.option("--enablers")
@click.option("--priority", type=click.IntRange(1, 5))
@click.option("--timeframe")
@click.option("--due", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--principle", "principles", multiple=True)
@click.option("--text")
def action_set(action_id: str, workspace: str | None, wait: float, partnership: str | None, status: str | None,
               owner: str | None, enablers: str | None, priority: int | None, timeframe: str | None, due: Any,
               principles: tuple[str, ...], text: str | None) -> None:
    """Update an action (a new version; the history is kept, see `action history`)."""
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.workshop.actions import update_action

    changes: dict[str, Any] = {k: v for k, v in {"status": status, "owner": owner, "enablers": enablers,
                                                 "priority": priority, "text": text}.items() if v is not None}
    changes |= _timeframe(timeframe, due)
    if principles:
        changes["principles"] = _principles(principles)
    if not changes:
        raise click.UsageError("nothing to change: give --status, --owner, --enablers, --priority, --timeframe, "
                               "--due, --principle or --text")
    with opened(workspace, wait) as ws:
        a = update_action(ws.con, load_framework(), action_id, partnership, changes)
    click.echo(f"{a.id}: {a.status}" + (f", due {a.due}" if a.due else ""), err=True)


@workshop_action.command("history")
@click.argument("action_id")
@workspace_options
@click.option("--partnership", "-p", shell_complete=partnership_ids)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def action_history(action_id: str, workspace: str | None, wait: float, partnership: str | None, fmt: str) -> None:
    """Every version of an action: when, who, and what changed."""
    from c2c_monitor.workshop.actions import history

    with opened(workspace, wait) as ws:
        pid, aid, rows = history(ws.con, action_id, partnership)
    if fmt == "json":
        emit(json.dumps({"partnership": pid, "id": aid, "versions": rows}, indent=2, ensure_ascii=False) + "\n",
             None)
    elif fmt == "csv":
        emit(csv_text(["vintage_id", "when", "who", "changed"], [list(r.values()) for r in rows]), None)
    else:
        click.echo(f"{pid} {aid}")
        for r in rows:
            click.echo(f"  {r['when']}  {r['who'] or '?':12}  v{r['vintage_id']}  {r['changed']}")


@workshop_action.command("import")
@click.argument("partnership", shell_complete=partnership_ids)
@click.argument("file", type=click.Path())
@workspace_options
@click.option("--dry-run", is_flag=True)
@click.option("--report", type=click.Path(), help="Write the findings to FILE (.json or .csv).")
def action_import(partnership: str, file: str, workspace: str | None, wait: float, dry_run: bool,
                  report: str | None) -> None:
    """Load a filled implementation plan (CSV or XLSX as `workshop actions` writes it): rows with an id update
    that action, rows without one add actions; all rows are checked before anything is written."""
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.errors import InputRejected, NothingLoaded, Report
    from c2c_monitor.workshop.actions import import_plan

    guard(report, workspace, [file])
    with opened(workspace, wait) as ws:
        try:
            res = import_plan(ws.con, load_framework(), partnership, Path(file), dry_run)
        except InputRejected as exc:
            show_rejected(exc.report, report)
            raise
    write_report(Report(), report)
    click.echo(("dry run: " if dry_run else "") + f"{res['added']} added, {res['changed']} changed, "
               f"{res['unchanged']} unchanged action(s)", err=True)
    if not res["added"] and not res["changed"]:  # loads nothing: exit 1, as `c2c ingest` does
        raise NothingLoaded(f"{file}: nothing to load (every action is already as in the file)")


@workshop.command("groups")
@click.argument("partnership", shell_complete=partnership_ids)
@workspace_options
@click.option("--suggest", "suggest", type=click.Path(dir_okay=False),
              help="Write the groups with a suggested partner type to FILE (CSV), to correct and load with --map.")
@click.option("--map", "mapping", type=click.Path(dir_okay=False),
              help="Load the confirmed mapping of groups to partner types from FILE (CSV or XLSX).")
@click.option("--dry-run", is_flag=True)
@click.option("--report", type=click.Path(), help="Write the findings to FILE (.json or .csv).")
def workshop_groups(partnership: str, workspace: str | None, wait: float, suggest: str | None,
                    mapping: str | None, dry_run: bool, report: str | None) -> None:
    """Map the stakeholder groups of the ratings to UN-Habitat's eight partner types.

    Without options: the groups and their type (confirmed, or suggested). The scoreboard breaks the ratings
    down by partner type once a mapping is loaded (the same minimum group size applies).
    """
    from c2c_monitor.errors import InputRejected, NothingLoaded, Report
    from c2c_monitor.workshop.partner_types import MAPPING_COLUMNS, group_rows, load_group_mapping

    if suggest and mapping:
        raise click.UsageError("give --suggest or --map, not both")
    guard(suggest or report, workspace, [mapping])
    with opened(workspace, wait) as ws:
        if mapping:
            try:
                res = load_group_mapping(ws.con, partnership, Path(mapping), dry_run)
            except InputRejected as exc:
                show_rejected(exc.report, report)
                raise
        else:
            rows = group_rows(ws.con, partnership, ws.config.language)
    if mapping:
        write_report(Report(), report)
        click.echo(("dry run: " if dry_run else "") + f"{res['changed']} group(s) mapped, {res['unchanged']} "
                   "unchanged", err=True)
        if not res["changed"]:  # loads nothing: exit 1, as `c2c ingest` does
            raise NothingLoaded(f"{mapping}: nothing to load (every group already has that partner type)")
        return
    if suggest:
        emit(csv_text(MAPPING_COLUMNS, rows), suggest)
        click.echo("correct the partner_type column where needed, then load it: "
                   f"c2c workshop groups {partnership} --map {suggest}", err=True)
        return
    for g, t, name, confirmed in rows:
        click.echo(f"{g!s:32} {t!s:24} {name}" + ("" if confirmed == "yes" else "  (suggested, not confirmed)"))


@workshop.command("xlsform")
@click.option("--partnership", "-p", shell_complete=partnership_ids,
              help="Offer this partnership's two cities as a choice list.")
@workspace_options
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="c2c-self-assessment.xlsx",
              show_default=True)
@click.option("--lang", "--language", "language", type=click.Choice(LANGUAGES), help="Default language of the form "
              "(all available ones are included; default: the workspace's, else en).")
def workshop_xlsform(partnership: str | None, workspace: str | None, wait: float, output: str,
                     language: str | None) -> None:
    """Write the checklist as an XLSForm for ODK / KoboToolbox (collect ratings on phones).

    Import the tool's CSV or XLSX export with `c2c workshop import` (labels or codes both work).
    """
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.workshop.xlsform import write_xlsform

    guard(output, workspace)
    cities = None
    if partnership:
        from c2c_monitor.score.assess import partnership_info

        with opened(workspace, wait) as ws:
            cities = [(c.id, c.name) for c in partnership_info(ws.con, partnership).cities]
            language = language or ws.config.language
    path = write_xlsform(load_framework(), Path(output), language or "en", cities)
    if output != "-":
        click.echo(_("wrote %(path)s", path=path), err=True)


@workshop.command("kit")
@click.argument("partnership", shell_complete=partnership_ids)
@workspace_options
@click.option("--output", "-o", "out_dir", type=click.Path(file_okay=False), required=True)
@click.option("--round", "round_id", help="The round the results handout is about (default: the latest).")
@click.option("--date", "held_on", type=click.DateTime(["%Y-%m-%d"]), help="Date printed on the agenda.")
@langs_option
def workshop_kit(partnership: str, workspace: str | None, wait: float, out_dir: str, round_id: str | None,
                 held_on: Any, langs: list[str] | None) -> None:
    """Print-ready PDFs: agenda, worksheets (A4), blank scoreboard poster (A3) and results handout.

    `--lang fr,en` prints a bilingual kit (each principle and question in both, the first language first);
    without it, the partner city's language (`[city_languages]` in c2c.toml) and the workspace's.
    """
    from c2c_monitor.publish.kit import build_kit

    guard(out_dir, workspace)
    with opened(workspace, wait) as ws:
        paths = build_kit(ws, partnership, Path(out_dir), round_id, _date(held_on), langs)
    for p in paths:
        click.echo(_("wrote %(path)s", path=p), err=True)


@workshop.command("serve")
@click.argument("partnership")
@workspace_options
@click.option("--round", "round_id", required=True, help="Round id, e.g. 2025.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; give the laptop's LAN address (or 0.0.0.0) for phones in the room.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--lang", "langs", default=None, help="Languages offered, e.g. fr,en (first = default; "
              "default: the workspace's language, then the others).")
@click.option("--held-on", type=click.DateTime(["%Y-%m-%d"]), help="Date of the workshop (default: today).")
def workshop_serve(partnership: str, workspace: str | None, wait: float, round_id: str, host: str, port: int,
                   langs: str | None, held_on: Any) -> None:
    """Run the live workshop: participants rate on their phones, the projector shows the room's progress.

    Prints the join address, code and QR code, and the facilitator's secret link (only here).
    Answers are journaled in the workspace as they arrive; restarting resumes the round.
    """
    import re
    import sys

    import segno
    import uvicorn

    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.errors import C2CError
    from c2c_monitor.score.assess import partnership_info
    from c2c_monitor.workshop.live.journal import Journal, journal_path
    from c2c_monitor.workshop.live.pages import LANGUAGES
    from c2c_monitor.workshop.serve import LiveConfig, LiveServer, is_loopback, lan_address

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}", round_id):
        raise click.BadParameter("letters, digits, '.', '_' and '-' only (at most 40)", param_hint="--round")
    with opened(workspace, wait) as ws:
        info = partnership_info(ws.con, partnership)
        cfg_lang, k = ws.config.language, max(5, ws.config.min_group_size)
        root = ws.root
    wanted = [x.strip() for x in (langs or "").split(",") if x.strip()] or \
        [cfg_lang, *(x for x in LANGUAGES if x != cfg_lang)]
    bad = [x for x in wanted if x not in LANGUAGES]
    if bad:
        raise click.BadParameter(f"{', '.join(bad)}: offered languages are {', '.join(LANGUAGES)}",
                                 param_hint="--lang")
    shown = lan_address() if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    cfg = LiveConfig(root=root, pid=partnership, round_id=round_id, partnership=info.name,
                     cities=[(c.id, c.name) for c in info.cities], languages=list(dict.fromkeys(wanted)), k=k,
                     join_base=f"http://{shown}:{port}", wait=max(wait, 10.0),
                     held_on=held_on.date() if held_on else None)
    journal = Journal(journal_path(root, partnership, round_id))
    try:
        server = LiveServer(cfg, load_framework(), journal)
        err = sys.stderr
        if not is_loopback(host):
            click.echo(f"warning: listening on {host}: anyone on this network can reach the server; the join "
                       "code keeps out those who cannot see the projector", err=True)
        st = server.state
        if st.devices:
            click.echo(f"resuming round {round_id}: {len(st.active())} participant(s), phase {st.phase}", err=True)
        qr = segno.make(server.join_url, error="m")
        qr.terminal(out=err, compact=True)
        click.echo(f"join:        {server.join_url}\njoin code:   {server.join_code}\n"
                   f"projector:   {cfg.join_base}/projector\n"
                   f"facilitator: {server.facilitator_url}   (keep this link to yourself)", err=True)
        try:
            # Keep-alive outlasts a participant reading a screen (uvicorn's default is 5 s): a phone that
            # reuses a connection the server had just closed sees its "next" fail (the load benchmark's room).
            uvicorn.run(server.app, host=host, port=port, log_level="warning", access_log=False,
                        h11_max_incomplete_event_size=16 * 1024, timeout_keep_alive=120)
        except SystemExit as exc:  # uvicorn exits when it cannot bind
            raise C2CError(f"cannot listen on {host}:{port}", hint="is the port in use? try --port") from exc
    finally:
        journal.close()
