"""The one exception tree of bindata.

Every error the library raises on purpose derives from :class:`BindataError`; the CLI turns any of
them into a one-line message and exit code 2 (see :mod:`bindata.cli`).
"""

from __future__ import annotations


class BindataError(Exception):
    """Base class of every error bindata raises on purpose.

    ``key`` optionally names, in the library's terms, the setting the error is about
    (``"scheduler"``, ``"seed"``); the CLI uses it to name the flag the user typed.
    """

    exit_code = 2

    def __init__(self, *args, key: str | None = None):
        super().__init__(*args)
        self.key = key


class ConfigError(BindataError):
    """A configuration value or option breaks a rule (message names the key path and rule)."""


class HRIRError(BindataError):
    """An HRIR set (SOFA file or model) cannot be read, built or used."""


class EventLibraryError(BindataError):
    """An event library (folder of labelled sounds) is empty, unreadable or malformed."""


class SceneError(BindataError):
    """A scene cannot be sampled or a scene file is invalid."""


class RenderError(BindataError):
    """A binaural room impulse response cannot be rendered."""


class OutputExistsError(BindataError):
    """The output location holds data and neither overwrite nor resume was asked for."""


class OutputError(BindataError):
    """An output file or folder cannot be written (read-only, permission, disk full, vanished);
    the message names the path and the operating system's reason."""


class OutputLockedError(BindataError):
    """Another bindata run holds the lock of the output folder (message names pid, host, start)."""


class InterruptedRun(BindataError):
    """The user interrupted a run (Ctrl-C); ``done`` of ``total`` items were finished.

    Exit code 130 (128 + SIGINT), as a shell reports a process ended by Ctrl-C.
    """

    exit_code = 130

    def __init__(self, message: str, *, done: int | None = None, total: int | None = None):
        self.done, self.total = done, total
        super().__init__(message)

    def __reduce__(self):
        return (_rebuild_interrupted, (str(self), self.done, self.total))


def _rebuild_interrupted(message, done, total):
    return InterruptedRun(message, done=done, total=total)


class DatasetError(BindataError):
    """A dataset on disk is missing files or breaks the layout of DESIGN.md."""


class SubmissionError(BindataError):
    """A submission to the scorer is malformed; carries every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        head = f"{len(self.problems)} problem(s) in submission"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class ValidationError(BindataError):
    """A collection of problems found by a validator, reported together."""

    def __init__(self, what: str, problems: list[str]):
        self.problems = list(problems)
        head = f"{what}: {len(self.problems)} problem(s)"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class BenchmarkError(BindataError):
    """Training, prediction or benchmarking cannot proceed (missing torch, bad method, ...)."""


class AmbienceError(BindataError):
    """A background ambience (folder of recordings, diffuse field or SNR) cannot be used."""
