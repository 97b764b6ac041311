"""Errors a user can act on: one line that says what is wrong and what to do."""


class PlatformError(RuntimeError):
    """A problem with set-up or input, reported as one actionable line."""
