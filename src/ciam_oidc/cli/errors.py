"""Failures a command reports as one line and a non-zero exit, without a traceback."""


class CommandError(Exception):
    """The command cannot do what was asked; the message says why."""


class NotFound(CommandError):
    """The named record does not exist."""
