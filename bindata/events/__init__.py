"""Event libraries: where the isolated sound events of a scene come from.

``open_event_library(None)`` or ``open_event_library("builtin")`` gives the procedural built-in
bank (:class:`BuiltinLibrary`, 18 classes); any other string or path opens a folder of recordings
(:class:`FolderLibrary`, ``ROOT/<class>/**/<audio files>``; NIGENS, DESED and TUT Rare Events
layouts). A folder literally named ``builtin`` in the working directory is reached as
``./builtin``. Both follow the :class:`EventLibrary` contract: mono float64 sounds at the
library's rate, silence-trimmed, RMS-normalised to 0.1.
"""

from __future__ import annotations

import os

from bindata.errors import EventLibraryError
from bindata.events.base import TARGET_RMS, EventLibrary, condition, trim_silence
from bindata.events.folder import AUDIO_EXTENSIONS, FolderLibrary
from bindata.events.procedural import BANK_SEED, GENERATOR_VERSION, BuiltinLibrary

__all__ = [
    "AUDIO_EXTENSIONS",
    "BANK_SEED",
    "GENERATOR_VERSION",
    "TARGET_RMS",
    "BuiltinLibrary",
    "EventLibrary",
    "FolderLibrary",
    "condition",
    "open_event_library",
    "trim_silence",
]

#: The spec that selects the built-in bank.
BUILTIN_SPEC = "builtin"


def open_event_library(spec: str | os.PathLike | None, *, sample_rate: int = 24000) -> EventLibrary:
    """Open the event library named by ``spec``.

    Parameters
    ----------
    spec : str, os.PathLike or None
        ``None`` or ``"builtin"``: the built-in procedural bank; anything else: the path of a
        folder library.
    sample_rate : int
        Rate of the sounds the library returns, Hz.

    Returns
    -------
    EventLibrary

    Raises
    ------
    EventLibraryError
        The folder is missing or malformed (every problem in one message).
    """
    if spec is None or (isinstance(spec, str) and spec.strip() == BUILTIN_SPEC):
        return BuiltinLibrary(sample_rate=sample_rate)
    if isinstance(spec, str) and not spec.strip():
        raise EventLibraryError(
            f"event library spec is empty; give {BUILTIN_SPEC!r} or the path of a folder"
        )
    return FolderLibrary(spec, sample_rate=sample_rate)
