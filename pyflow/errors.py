"""The one error type the CLI turns into a clear message and a non-zero exit (never a traceback)."""


class FlowError(Exception):
    """Bad input or a missing tool: the message says what is wrong and, where it can, how to fix it."""
