"""Small named exceptions and findings; only the CLI turns them into messages and exit codes."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Finding:
    """One problem found in an input, located as precisely as the input allows."""

    type: str
    file: str
    message: str
    line: int | None = None
    column: str | None = None
    value: str | None = None

    def location(self) -> str:
        loc = self.file
        if self.line is not None:
            loc += f" line {self.line}"
        if self.column:
            loc += f", column {self.column!r}"
        return loc

    def __str__(self) -> str:
        shown = f" (value {self.value!r})" if self.value not in (None, "") else ""
        return f"{self.location()}: {self.message}{shown}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class C2CError(Exception):
    """An error the user can fix; the CLI prints it on one line and exits 2."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class WorkspaceError(C2CError):
    pass


class WorkspaceBusy(WorkspaceError):
    pass


class UnknownPartnership(C2CError):
    pass


class DefinitionError(C2CError):
    """Definition files failed validation; carries every finding, not just the first."""

    def __init__(self, findings: list[Finding]) -> None:
        first = str(findings[0]) if findings else "invalid definitions"
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        super().__init__(first + more, hint="run `c2c catalog validate` for the full list")
        self.findings = findings


class InputRejected(C2CError):
    """An input batch was rejected; nothing was written."""

    def __init__(self, findings: list[Finding], what: str = "batch") -> None:
        first = str(findings[0]) if findings else "rejected"
        more = f" (and {len(findings) - 1} more problems)" if len(findings) > 1 else ""
        super().__init__(f"{what} rejected, nothing written: {first}{more}")
        self.findings = findings
