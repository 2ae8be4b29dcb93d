"""The library's front door: ``bindata.synthesize``, ``bindata.Synthesizer``, ``bindata.score``.

Options are config keys in the library's terms: the names of :data:`bindata.config.OPTIONS`
(``n_files``, ``max_overlap``, ``rooms``, ``moving``, ...) or any dotted config key
(``**{"room.wall_clearance_m": 1.5}``), over a config file or dict (``config=``). A dataset on
disk is a :class:`bindata.Dataset` (:mod:`bindata.dataset`).

``bindata synth`` runs the same two steps as :func:`synthesize`
(:func:`bindata.synth.synth_config`, then :func:`bindata.synth.synthesize`), so both write the
same bytes for the same config and seed. :class:`Synthesizer` draws and renders one file in
memory exactly as they do.
"""

from __future__ import annotations

import copy
import os

import numpy as np

from . import synth
from .config import SynthConfig
from .dataset import Dataset, scene_from_json
from .errors import ConfigError, SceneError
from .io.dcase_csv import sort_rows
from .scene.labels import scene_rows
from .scene.spec import Scene
from .score import format_tables, score_dataset


def synthesize(
    out: str | os.PathLike,
    *,
    config: str | os.PathLike | dict | SynthConfig | None = None,
    seed: int = 0,
    jobs: int = 1,
    overwrite: bool = False,
    resume: bool = False,
    progress: bool = True,
    scheduler=None,
    connect_timeout_s: float | None = None,
    **options,
) -> Dataset:
    """Synthesize a dataset into the folder ``out`` and open it.

    The same config and seed give the same bytes as ``bindata synth``, whatever ``jobs`` or
    ``scheduler``. Everything is checked before ``out`` is touched (README, "Safety").

    Parameters
    ----------
    out : path-like
        Output folder: absent or empty, unless ``overwrite`` or ``resume``.
    config : path-like, dict or SynthConfig, optional, keyword-only
        A JSON or TOML config file (``schemas/config.schema.json``), such a dict, or a typed
        config (:class:`bindata.config.SynthConfig`); options override it.
    seed : int, keyword-only
        Seed of the whole run (>= 0); file *i* depends on ``(seed, i)`` only.
    jobs : int, keyword-only
        Local worker processes (-1: all cores).
    overwrite : bool, keyword-only
        Replace a dataset bindata wrote in ``out`` (only its files are removed).
    resume : bool, keyword-only
        Finish an interrupted run in ``out`` (same config and seed).
    progress : bool, keyword-only
        Show a progress bar.
    scheduler : str or dask cluster or client, optional, keyword-only
        Run the files on a Dask cluster (``tcp://HOST:8786``, a scheduler file, a cluster or a
        ``distributed.Client``; needs ``bindata[dask]``, docs/cluster.md).
    connect_timeout_s : float, optional, keyword-only
        Seconds to wait for ``scheduler`` to answer (default 30).
    **options
        Config settings: ``n_files``, ``max_overlap``, ``rooms``, ``moving``, ... (every name
        of :data:`bindata.config.OPTIONS`) or dotted config keys.

    Returns
    -------
    Dataset
        The finished dataset.

    Raises
    ------
    ConfigError
        An unknown option (named, with the known ones listed) or a bad value (every problem,
        each naming the option or ``FILE: key`` it came from).
    OutputExistsError
        ``out`` is not empty and neither ``overwrite`` nor ``resume`` was given.
    InterruptedRun
        Ctrl-C; the run can be finished with ``resume=True``.
    BindataError
        Any other check or write failed (:func:`bindata.synth.synthesize`).

    Examples
    --------
    >>> import bindata
    >>> ds = bindata.synthesize("data/", n_files=2, n_folds=2, duration_s=3, max_overlap=1,
    ...                         seed=0, progress=False)
    >>> ds
    Dataset('data', 2 files, folds [1, 2])
    >>> ds.manifest["config"]["max_overlap"], ds.manifest["seed"]
    (1, 0)
    >>> bindata.synthesize("data/", n_files=2, n_folds=2, duration_s=3, progress=False)
    Traceback (most recent call last):
    ...
    bindata.errors.OutputExistsError: data: output folder is not empty (4 entries: audio, manifest.json, metadata, scenes)
    """
    cfg = synth.synth_config(config, options=options)
    manifest = synth.synthesize(
        cfg,
        out,
        seed=seed,
        jobs=jobs,
        overwrite=overwrite,
        resume=resume,
        scheduler=scheduler,
        connect_timeout_s=connect_timeout_s,
        progress=progress,
    )
    return Dataset(out, manifest)


class Synthesizer:
    """Draw and render single files of a run in memory, exactly as :func:`synthesize` writes
    them: ``render(sample(i))`` gives the samples and rows of file *i*.

    The HRIR set and event library are loaded once, when the synthesizer is made, at the
    config's HRIR level (``hrir_calibration``, default ``"reference"``). With several heads
    (``hrir=[...]``, docs/hrir.md) each head is loaded when a scene first draws it.

    Parameters
    ----------
    seed : int, keyword-only
        Seed of the run (>= 0).
    config : path-like, dict or SynthConfig, optional, keyword-only
        A JSON or TOML config file, such a dict (e.g. a dataset's ``manifest["config"]``), or
        a typed config (another synthesizer's ``config``).
    **options
        Config settings, as for :func:`synthesize`.

    Attributes
    ----------
    config : SynthConfig
        The checked config (:class:`bindata.config.SynthConfig`; ``config.to_json()`` is what
        a dataset's manifest records).
    seed : int

    Raises
    ------
    ConfigError
        An unknown option or a bad value, as for :func:`synthesize`.

    Examples
    --------
    >>> import bindata
    >>> syn = bindata.Synthesizer(seed=0, rooms="office", moving=0.5, duration_s=3)
    >>> syn.config.room_preset, syn.config.motion.moving_fraction
    ('office', 0.5)
    >>> scene = syn.sample(0)
    >>> scene.stem, scene.room.preset, scene.events[0].label in syn.classes
    ('fold1_room0001_mix001', 'office', True)
    >>> audio, rows = syn.render(scene)
    >>> audio.shape, audio.dtype
    ((72000, 2), dtype('int16'))
    >>> rows.dtype.names
    ('frame', 'class', 'source', 'azimuth', 'elevation', 'distance')
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        config: str | os.PathLike | dict | SynthConfig | None = None,
        **options,
    ):
        if seed < 0:
            raise ConfigError(f"seed must be >= 0, got {seed}", key="seed")
        self.seed = int(seed)
        self.config = synth.synth_config(config, options=options)
        synth.check_scene_options(self.config)
        self._hrirset, self._library, self._record = synth.resources_for_config(self.config)

    def __repr__(self) -> str:
        return f"Synthesizer(seed={self.seed}, n_files={self.config.n_files})"

    def __len__(self) -> int:
        return int(self.config.n_files)

    @property
    def classes(self) -> tuple[str, ...]:
        """The event library's sorted classes (a scene's ``class_index`` indexes them)."""
        return tuple(self._library.classes)

    def sample(self, index: int) -> Scene:
        """The scene of file ``index`` (what :func:`synthesize` writes to ``scenes/``).

        Parameters
        ----------
        index : int
            File index, 0 <= ``index`` < ``n_files`` (it sets the stem and fold).

        Returns
        -------
        Scene
            The scene (:class:`bindata.scene.spec.Scene`; ``scene.to_json()`` is the JSON
            object of ``scenes/<stem>.json``).

        Raises
        ------
        ConfigError
            ``index`` out of range.
        SceneError
            The scene cannot be drawn (a sampling rule cannot be met).
        """
        n = len(self)
        if not 0 <= index < n:
            raise ConfigError(
                f"file index must be in [0, {n - 1}] (n_files {n}), got {index}", key="index"
            )
        return synth.draw_scene(
            self.config,
            seed=self.seed,
            index=int(index),
            library=self._library,
            record=self._record,
        )

    def render(self, scene: Scene | dict) -> tuple[np.ndarray, np.ndarray]:
        """Render a scene: ``(audio, rows)``.

        Parameters
        ----------
        scene : Scene or dict
            A scene of this synthesizer's run (:meth:`sample`, or ``Dataset.scene`` of a
            dataset made with the same HRIR set and event library), or a scene's JSON object
            (as read from ``scenes/<stem>.json``; checked against the scene schema).

        Returns
        -------
        audio : numpy.ndarray
            ``int16`` ``(n, 2)`` (left, right): the 16-bit PCM samples the file's WAV holds.
        rows : numpy.ndarray
            The file's metadata rows, as :meth:`bindata.Dataset.labels` reads them.

        Raises
        ------
        SceneError
            The scene was drawn with another HRIR set, HRIR level or event library, or a
            scene's JSON object is not a valid scene.
        """
        if not isinstance(scene, Scene):
            scene = scene_from_json(scene)
        parts = [("hrir", scene.hrir), ("event_library", scene.event_library)]
        if "heads" in self._record:  # several heads: render_scene checks the scene's own
            parts = parts[1:]
        for part, record in parts:
            if record.to_json() != self._record[part]:
                raise SceneError(
                    f"scene {scene.stem}: its {part} ({record.to_json()}) is not "
                    f"this synthesizer's ({self._record[part]}); render it with a "
                    "Synthesizer of its own config, or with bindata.synth.render_scene_file"
                )
        pcm, _, _ = synth.render_scene(scene, library=self._library, hrirset=self._hrirset)
        return pcm, sort_rows(scene_rows(scene))


class ScoreResult:
    """The result of :func:`score`: every figure (:meth:`to_dict`) and the printed tables
    (:meth:`table`).

    Attributes
    ----------
    warnings : list of str
        Warnings about the submission (distances that look like metres, ...).
    """

    def __init__(self, results: dict):
        self._results = results
        self.warnings = list(results.get("warnings", []))

    def __repr__(self) -> str:
        metrics, n_files = self._results.get("metrics"), self._results.get("n_files")
        return f"ScoreResult(metrics={metrics}, n_files={n_files})"

    def to_dict(self) -> dict:
        """Every figure, as ``schemas/score.schema.json`` describes (a copy)."""
        return copy.deepcopy(self._results)

    def table(self) -> str:
        """The tables ``bindata score`` prints."""
        return format_tables(self._results)


def score(dataset, predictions, *, metrics="paper", **options) -> ScoreResult:
    """Check a submission folder completely, then score it against a dataset.

    ``bindata.score`` is also the scoring subpackage (``from bindata.score import
    score_dataset``); calling it calls this function.

    Parameters
    ----------
    dataset : Dataset or path-like
        The reference dataset.
    predictions : path-like
        Submission folder: one ``<stem>.csv`` per reference file (docs/scoring.md).
    metrics : str or sequence of str, keyword-only
        ``"paper"`` (default), ``"dcase2024"``, ``"dcase2023"`` or ``"all"``.
    **options
        Passed to :func:`bindata.score.score_dataset` as they are (``views``, ``folds``,
        ``missing``, ``thresholds``, ``distance_unit``, ``divisions``, ...).

    Returns
    -------
    ScoreResult

    Raises
    ------
    SubmissionError
        The submission has problems (all are listed, with file and line).
    DatasetError, ConfigError

    Examples
    --------
    >>> import bindata
    >>> ds = bindata.synthesize("data/", n_files=2, n_folds=2, duration_s=3, progress=False)
    >>> result = bindata.score(ds, "data/metadata", metrics="dcase2024")
    >>> result.to_dict()["seld"]["dcase2024"]["micro"]["f_score"]  # the labels as predictions
    1.0
    >>> print(result.table())
    dcase2024 SELD metrics (0.1 s frames, ...
                     F20/1[%]  DOAE[deg]        RDE      DE[m]      LR[%]       SELD
    ...
    micro              100.00      0.000      0.000      0.000     100.00      0.000
    ...
    """
    root = dataset.root if isinstance(dataset, Dataset) else dataset
    return ScoreResult(score_dataset(root, predictions, metrics=metrics, **options))


__all__ = ["ScoreResult", "Synthesizer", "score", "synthesize"]
