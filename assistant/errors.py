"""Errors that reach the user as one clear line."""


class UserError(Exception):
    """A problem the user can fix: shown as one line, exit status 2.

    The message says what went wrong and what to do about it.
    """

    exit_code = 2
