"""The command line's own messages in the user's language, through the interface catalogs (render.i18n).

The language is the command's `--lang`, else the workspace's `language` once the workspace is open, else
C2C_LANG, else English. Errors raised deeper in the library are written in English where they are raised
(they also end up in reports and logs); the most common ones are recognised here by their English pattern
and told in the user's language, with the values they carry (file, row, column) unchanged.
"""

from __future__ import annotations

import os
import re

from c2c_monitor.render.i18n import LANGUAGES, N_, Translator

_STATE: dict[str, str | None] = {"lang": None, "explicit": None}


def set_language(lang: str | None, *, explicit: bool = False) -> None:
    """The language of the messages: `explicit` (a --lang) wins over a workspace's setting."""
    if lang is None or lang not in LANGUAGES:
        return
    if explicit:
        _STATE["explicit"] = lang
    _STATE["lang"] = lang


def language() -> str:
    env = os.environ.get("C2C_LANG", "")
    return _STATE["explicit"] or _STATE["lang"] or (env if env in LANGUAGES else "en")


def reset() -> None:
    """Forget the language of the last command (tests run many commands in one process)."""
    _STATE.update(lang=None, explicit=None)


def _(msgid: str, /, **values: object) -> str:
    return Translator(language())(msgid, **values)


# Library errors people meet most, as the English pattern and the message it becomes; the named groups
# are the message's values.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"unknown partnership (?P<id>.+)"), N_("unknown partnership %(id)s")),
    (re.compile(r"no workspace given"), N_("no workspace given")),
    (re.compile(r"pass --workspace DIR or set C2C_WORKSPACE"), N_("pass --workspace DIR or set C2C_WORKSPACE")),
    (re.compile(r"known ids include: (?P<ids>.+) \(see `c2c partnerships`\)"),
     N_("known ids include: %(ids)s (see `c2c partnerships`)")),
    (re.compile(r"the workspace has no partnerships \(see `c2c partnerships`\)"),
     N_("the workspace has no partnerships (see `c2c partnerships`)")),
    (re.compile(r"the workspace has no partnerships to publish"), N_("the workspace has no partnerships to publish")),
    (re.compile(r"(?P<root>.+) already holds a workspace"), N_("%(root)s already holds a workspace")),
    (re.compile(r"choose an empty folder"), N_("choose an empty folder")),
    (re.compile(r"(?P<what>\S+) rejected, nothing written: (?P<first>.+)"),
     N_("%(what)s rejected, nothing written: %(first)s")),
    (re.compile(r"run `c2c catalog validate` for the full list"),
     N_("run `c2c catalog validate` for the full list")),
    (re.compile(r"(?P<path>.+) exists and is not a site made by c2c publish"),
     N_("%(path)s exists and is not a site made by c2c publish")),
    (re.compile(r"choose an empty or new folder; c2c publish only replaces its own output"),
     N_("choose an empty or new folder; c2c publish only replaces its own output")),
    (re.compile(r"unknown language (?P<lang>.+)"), N_("unknown language %(lang)s")),
]


def translated(message: str) -> str:
    """A library message in the user's language when it is one of the known patterns, else as it is."""
    if language() == "en":
        return message
    for pattern, msgid in _PATTERNS:
        m = pattern.fullmatch(message)
        if m:
            return _(msgid, **m.groupdict())
    return message


def error_line(message: str, hint: str | None = None) -> str:
    """`c2c: error: MESSAGE (HINT)`, the one line every failed command ends with."""
    text = translated(message) + (f" ({translated(hint)})" if hint else "")
    return _("c2c: error: %(message)s", message=text)
