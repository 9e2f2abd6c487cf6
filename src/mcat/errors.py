"""The one exception type for errors a user can cause and fix."""


class McatError(Exception):
    """Bad input, bad params or a missing resource.

    The message says what is wrong and how to fix it; the CLI prints it without a traceback and exits
    non-zero. Raise it for anything a user can cause; let programming errors surface as they are.
    """
