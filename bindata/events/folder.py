"""Event library from a folder of recordings: ``ROOT/<class>/**/<audio files>``.

Each sub-folder of ``ROOT`` is a class (named after the folder); every audio file below it, at any
depth, is one sound. This covers the usual layouts of isolated-event corpora:

* NIGENS: ``NIGENS/<class>/*.wav`` with ``*.wav.txt`` annotations next to them (ignored);
* DESED foreground: ``soundbank/foreground/<Class_name>/*.wav`` (e.g. ``Alarm_bell_ringing``);
* TUT Rare Sound Events 2017: ``source_data/events/<babycry|glassbreak|gunshot>/...``, possibly
  with nested folders such as ``audio/``.

Audio files are recognised by extension among the formats the installed libsndfile reads
(:data:`AUDIO_EXTENSIONS`: wav, flac, ogg/oga, aiff, ...); hidden files and folders (``.*``,
including macOS ``._*`` companions) and all other files are ignored. Opening the library only
reads each file's header (``soundfile.info``); any problem (missing root, no class folders, a class
without audio, an unreadable or empty file) is collected and reported in one
:class:`~bindata.errors.EventLibraryError`. Decoding happens on :meth:`FolderLibrary.load`:
channels are averaged, the rate is converted (:func:`bindata.resample.resample`: polyphase, the
rate ratio as a fraction with terms <= 1000; exact for all common rates), then the sound
is trimmed and RMS-normalised like every library's (:func:`bindata.events.base.condition`).

Sound ids are ``<class>/<path below the class folder>`` with ``/`` separators, e.g.
``glassbreak/audio/0001.wav``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from bindata.errors import EventLibraryError
from bindata.events.base import DEFAULT_CACHE_BYTES, EventLibrary
from bindata.io import sha256_file
from bindata.problems import Problems
from bindata.resample import resample

#: Extension -> libsndfile major format needed to read it.
_EXTENSION_FORMATS = {
    ".wav": "WAV",
    ".wave": "WAV",
    ".flac": "FLAC",
    ".ogg": "OGG",
    ".oga": "OGG",
    ".opus": "OGG",
    ".aif": "AIFF",
    ".aiff": "AIFF",
    ".aifc": "AIFF",
    ".au": "AU",
    ".snd": "AU",
    ".caf": "CAF",
    ".w64": "W64",
    ".rf64": "RF64",
    ".mp3": "MP3",
}


def _readable_extensions() -> frozenset[str]:
    formats = soundfile.available_formats()
    return frozenset(ext for ext, fmt in _EXTENSION_FORMATS.items() if fmt in formats)


#: File extensions (lower case) treated as audio: those the installed libsndfile can decode.
AUDIO_EXTENSIONS = _readable_extensions()


@dataclass(frozen=True)
class EventFile:
    """One audio file of a folder library, as seen by ``soundfile.info`` at open time."""

    sound_id: str
    path: Path
    sample_rate: int
    channels: int
    frames: int


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _audio_files(class_dir: Path, problems: Problems) -> list[Path]:
    """Audio files below ``class_dir`` (recursive, symlinks followed once, hidden skipped).

    An audio-named entry that is not a readable file (a broken link) is added to ``problems``
    (:class:`~bindata.problems.Problems`).
    """
    found: list[Path] = []
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(class_dir, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if not _is_hidden(d))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if _is_hidden(name) or path.suffix.lower() not in AUDIO_EXTENSIONS:
                continue
            if path.is_file():
                found.append(path)
            else:
                problems.add(path, "not a regular file (broken link?)", kind="file")
    return found


def _probe(path: Path, sound_id: str, problems: Problems) -> EventFile | None:
    """Header of one file, or ``None`` with the reason appended to ``problems``."""
    try:
        info = soundfile.info(str(path))
    except Exception as exc:  # soundfile raises LibsndfileError, RuntimeError, OSError, ...
        problems.add(path, f"unreadable audio file ({_reason(exc)})", kind="file")
        return None
    if info.frames <= 0:
        problems.add(path, "audio file holds no samples", kind="file")
        return None
    if info.samplerate <= 0 or info.channels <= 0:
        problems.add(
            path, f"invalid header ({info.samplerate} Hz, {info.channels} channels)", kind="file"
        )
        return None
    return EventFile(sound_id, path, int(info.samplerate), int(info.channels), int(info.frames))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


def scan_folder(root: Path) -> dict[str, list[EventFile]]:
    """Classes and their sound files below ``root``; raises with every problem found.

    Raises
    ------
    EventLibraryError
        Root missing or not a folder, no class sub-folders, a class without audio files, or
        unreadable / empty audio files (all problems in one message).
    """
    if not root.exists():
        raise EventLibraryError(f"event library folder {root}: no such folder")
    if not root.is_dir():
        raise EventLibraryError(f"event library folder {root}: not a folder")
    class_dirs = sorted(
        (p for p in root.iterdir() if p.is_dir() and not _is_hidden(p.name)), key=lambda p: p.name
    )
    if not class_dirs:
        raise EventLibraryError(
            f"event library folder {root}: no class sub-folders "
            "(expected ROOT/<class>/<audio files>, e.g. ROOT/dog/bark1.wav)"
        )
    problems = Problems()
    classes: dict[str, list[EventFile]] = {}
    exts = ", ".join(sorted(AUDIO_EXTENSIONS))
    for class_dir in class_dirs:
        n_before = len(problems)
        paths = _audio_files(class_dir, problems)
        if not paths and len(problems) == n_before:
            problems.add(class_dir, f"class folder holds no audio files (looked for {exts})")
            continue
        sounds = []
        for path in paths:
            sound_id = f"{class_dir.name}/{path.relative_to(class_dir).as_posix()}"
            probed = _probe(path, sound_id, problems)
            if probed is not None:
                sounds.append(probed)
        classes[class_dir.name] = sorted(sounds, key=lambda sf: sf.sound_id)
    problems.raise_if_any(EventLibraryError, f"event library folder {root}")
    return classes


def decode_mono(sound: EventFile, target_rate: int) -> np.ndarray:
    """Decode a file, average its channels and resample it to ``target_rate``.

    Raises
    ------
    EventLibraryError
        The file cannot be decoded (names the file and soundfile's reason).
    """
    try:
        data, rate = soundfile.read(str(sound.path), dtype="float64", always_2d=True)
    except Exception as exc:
        raise EventLibraryError(f"{sound.path}: cannot decode audio ({_reason(exc)})") from exc
    if data.shape[0] == 0:
        raise EventLibraryError(f"{sound.path}: audio file holds no samples")
    return resample(data.mean(axis=1), rate, target_rate)


class FolderLibrary(EventLibrary):
    """Sounds from ``root/<class>/**/<audio files>`` (see the module docstring).

    Parameters
    ----------
    root : str or os.PathLike
        The library folder.
    sample_rate : int
        Rate of the loaded sounds, Hz.
    cache_bytes : int
        Bound of the cache of decoded sounds.

    Raises
    ------
    EventLibraryError
        The folder breaks the layout (every problem listed in one message).
    """

    kind = "folder"

    def __init__(
        self,
        root: str | os.PathLike,
        *,
        sample_rate: int = 24000,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ):
        super().__init__(sample_rate=sample_rate, cache_bytes=cache_bytes)
        self.root = Path(root).expanduser().absolute()
        self._by_class = scan_folder(self.root)
        self.classes = sorted(self._by_class)
        self._sounds = {sf.sound_id: sf for sfs in self._by_class.values() for sf in sfs}
        self._sha256: dict[str, str] = {}

    def sound_ids(self, label: str) -> list[str]:
        """Ids of the sounds of ``label`` (sorted)."""
        self._check_label(label)
        return [sf.sound_id for sf in self._by_class[label]]

    def sound_file(self, sound_id: str) -> EventFile:
        """The file behind a sound id."""
        try:
            return self._sounds[sound_id]
        except KeyError:
            raise EventLibraryError(
                f"unknown sound id {sound_id!r} in event library folder {self.root}"
            ) from None

    def _render(self, sound_id: str) -> tuple[np.ndarray, str]:
        sound = self.sound_file(sound_id)
        return decode_mono(sound, self.sample_rate), str(sound.path)

    def sha256(self, sound_id: str) -> str:
        """SHA-256 of a sound's file (computed once)."""
        if sound_id not in self._sha256:
            self._sha256[sound_id] = sha256_file(self.sound_file(sound_id).path)
        return self._sha256[sound_id]

    def describe(self) -> dict:
        """Kind, root, sample rate, classes and each sound's id, checksum and source format.

        Hashes every file on the first call (cached afterwards).
        """
        sounds = []
        for sound_id in self.all_sound_ids():
            sf = self._sounds[sound_id]
            sounds.append(
                {
                    "id": sound_id,
                    "sha256": self.sha256(sound_id),
                    "source_sample_rate": sf.sample_rate,
                    "channels": sf.channels,
                    "frames": sf.frames,
                }
            )
        return {
            "kind": self.kind,
            "root": str(self.root),
            "sample_rate": self.sample_rate,
            "classes": list(self.classes),
            "sounds": sounds,
        }
