"""The library's words for its options, and the flags a command-line user types instead.

Library messages name options in the library's terms (``set overwrite``, ``missing='empty'``);
a command rewrites them into its own flags with :func:`in_cli_terms` and a phrase table of its
own, so that only ``bindata/cli/`` knows flag names.
"""

from __future__ import annotations

from ..errors import BindataError


def in_cli_terms(exc: BindataError, phrases) -> BindataError:
    """``exc`` with each library phrase of ``phrases`` (``(library, cli)`` pairs) replaced."""
    text = str(exc)
    for library, flag in phrases:
        text = text.replace(library, flag)
    exc.args = (text,)
    return exc
