"""The one exception tree of bindata.

Every error the library raises on purpose derives from :class:`BindataError`; the CLI turns any of
them into a one-line message and exit code 2 (see :mod:`bindata.cli`).
"""

from __future__ import annotations


class BindataError(Exception):
    """Base class of every error bindata raises on purpose."""

    exit_code = 2


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
