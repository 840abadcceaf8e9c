"""aztui's own error classes: each has a human title, a message and a hint.

Azure SDK exceptions are mapped into these once, at the Azure boundary
(`aztui.azure.errors.map_azure_error`); everything above that boundary
(CLI, TUI) only ever sees `AztuiError`.
"""

from __future__ import annotations

from aztui.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED


class AztuiError(Exception):
    """Base class: `title` says what kind of failure, `hint` what to change."""

    title = "Error"
    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, hint: str | None = None, title: str | None = None,
                 step: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.step = step
        if title:
            self.title = title

    def __str__(self) -> str:
        return self.message

    def render(self) -> str:
        """One human-readable block: title, message (with step), hint."""
        where = f" while {self.step}" if self.step else ""
        text = f"{self.title}{where}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ProfileError(AztuiError):
    """The profiles file or one profile is invalid; `problems` lists every finding."""

    title = "Invalid profile"
    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, *, problems: list | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems = list(problems or [])


class AuthenticationError(AztuiError):
    title = "Authentication failed"


class PermissionDeniedError(AztuiError):
    title = "Permission denied"


class NotFoundError(AztuiError):
    title = "Not found"


class UnreachableError(AztuiError):
    title = "Endpoint unreachable"


class TlsError(AztuiError):
    title = "TLS error"


class ClockSkewError(AztuiError):
    title = "Clock skew"


class ReadOnlyError(AztuiError):
    title = "Read-only profile"
    HINT = "set read_only = false in the profile to allow changes"

    @classmethod
    def refusing(cls, action: str = "deletes nothing with it", *,
                 profile: str | None = None) -> "ReadOnlyError":
        """The one refusal of a read-only profile: "profile 'p' is read-only, so aztui <action>"
        (`profile` None: "the profile is read-only, ..."), with the hint that says how to allow it.
        The default action is an executor's, refusing before any request."""
        subject = f"profile {profile!r}" if profile is not None else "the profile"
        return cls(f"{subject} is read-only, so aztui {action}", hint=cls.HINT)


class ServiceError(AztuiError):
    """Any other answer from the service that we have no better class for."""

    title = "Service error"
