"""The heads of a run in memory: each HRIR set loaded once per process, when first drawn.

:func:`load_head` loads one head (an HRIR model with its drawn parameters, or a SOFA file),
calibrates it, adds near-field shells when asked (:func:`bindata.hrir.prepared.prepared_hrirset`:
a SOFA file's result also kept on disk, so later processes read it instead), and keeps it in a per-process cache bounded by
the bytes of the responses (:data:`HEAD_CACHE_BYTES`, least recently used dropped first, the
last one always kept), with the record a scene stores about it (``hrir``:
:class:`~bindata.scene.spec.SceneHRIR`).

:class:`HeadSet` is the run's heads (:mod:`bindata.hrir.heads`: the entries of ``hrir.sofa``
expanded, the folds of each): the sampler draws a head and its parameters per file
(:func:`bindata.scene.sample.sample_head`) and asks :meth:`HeadSet.record` for the record;
:func:`bindata.synth.run.render_scene` asks :meth:`HeadSet.hrirset_of` for the set of a
scene's record. A run with one head and nothing drawn needs none of this: its set and record are
those of :func:`bindata.synth.run.resources_for_config`, as before several heads existed.
"""

from __future__ import annotations

import copy
import json
import threading
from collections import OrderedDict

from ..config import SynthConfig
from ..errors import ConfigError, SceneError
from ..hrir import expand_heads, fold_heads, get_model
from ..hrir.hrirset import REFERENCE_BAND_HZ, HRIRSet
from ..hrir.models import PARAMETERS
from ..hrir.prepared import prepared_hrirset
from ..hrir.registry import is_model
from ..io import sha256_file

#: Bytes of HRIR responses a process keeps loaded (the most recently used heads; at least one).
HEAD_CACHE_BYTES = 512 << 20

_LOADED: OrderedDict = OrderedDict()  # key -> (hrirset, record)
_LOCK = threading.Lock()


def _key(spec, nearfield, sample_rate, calibration, band_hz, parameters) -> tuple:
    band = None if band_hz is None else tuple(float(f) for f in band_hz)
    return (
        str(spec),
        bool(nearfield),
        int(sample_rate),
        str(calibration),
        band,
        tuple(sorted((str(k), float(v)) for k, v in (parameters or {}).items())),
    )


def load_head(
    spec: str,
    *,
    nearfield: bool,
    sample_rate: int,
    calibration: str,
    band_hz=None,
    parameters: dict | None = None,
) -> tuple[HRIRSet, dict]:
    """One head, loaded once per process (while the cache keeps it): ``(hrirset, record)``.

    Parameters
    ----------
    spec : str
        An HRIR model's name or a SOFA file (:func:`bindata.hrir.load_hrirset`).
    nearfield : bool
        Add near-field shells to a single-distance set.
    sample_rate : int
    calibration : str
        ``"reference"``, ``"diffuse"``, ``"equalised"`` or ``"raw"``.
    band_hz : (float, float), optional
        Band of the calibration level; ``None``: 250 Hz-2 kHz.
    parameters : dict, optional
        A model head's parameters (``head_radius_m``, ``ear_azimuth_deg``).

    Returns
    -------
    hrirset : HRIRSet
    record : dict
        What a scene records about the head (the JSON object of ``SceneHRIR``): ``spec``,
        ``nearfield``, ``name``, ``distances_m``, ``calibration``, ``calibration_gain_db``, a
        file's ``sha256``, and ``calibration_band_hz`` and the parameters where not the
        defaults'.
    """
    key = _key(spec, nearfield, sample_rate, calibration, band_hz, parameters)
    with _LOCK:
        if key in _LOADED:
            _LOADED.move_to_end(key)
            return _LOADED[key]
    spec, nearfield, sample_rate, calibration, band, params = key
    params = dict(params)
    hrirset = prepared_hrirset(
        spec,
        nearfield=nearfield,
        sample_rate=sample_rate,
        calibration=calibration,
        band_hz=band or REFERENCE_BAND_HZ,
        parameters=params,
    )
    record = {
        "spec": spec,
        "nearfield": nearfield,
        "name": hrirset.name,
        "distances_m": [round(float(d), 4) for d in hrirset.distances],
        "calibration": hrirset.calibration,
        "calibration_gain_db": round(hrirset.calibration_gain_db, 4),
    }
    if not is_model(spec):  # provenance: the SOFA file's bytes, checked by validate
        record["sha256"] = sha256_file(spec)
    if band is not None and band != REFERENCE_BAND_HZ and calibration != "raw":
        record["calibration_band_hz"] = list(band)
    record.update(params)
    entry = (hrirset, record)
    with _LOCK:
        _LOADED[key] = entry
        _LOADED.move_to_end(key)
        total = sum(h.ir.nbytes for h, _ in _LOADED.values())
        while len(_LOADED) > 1 and total > HEAD_CACHE_BYTES:
            _, (dropped, _) = _LOADED.popitem(last=False)
            total -= dropped.ir.nbytes
    return entry


def loaded_heads() -> list[tuple[str, int]]:
    """The spec and response bytes of each head loaded in this process, least recently used
    first (diagnostics, tests)."""
    with _LOCK:
        return [(key[0], hrirset.ir.nbytes) for key, (hrirset, _) in _LOADED.items()]


def clear_heads() -> None:
    """Drop every loaded head and head set of this process (after installing an HRIR model or
    changing a folder of SOFA files at run time; tests)."""
    with _LOCK:
        _LOADED.clear()
        _SETS.clear()


class HeadSet:
    """The heads of a run: which heads each fold draws from, each loaded when first used.

    Made by :func:`head_set` (once per process and config); nothing is loaded until a scene
    needs a head.

    Parameters
    ----------
    cfg : SynthConfig

    Attributes
    ----------
    heads : tuple of bindata.hrir.Head
        The heads, in the order of :func:`bindata.hrir.expand_heads`.
    folds : dict
        Fold -> indices of its heads (:func:`bindata.hrir.fold_heads`).
    ranges : dict
        Parameter name -> the config's range, for the parameters it draws.

    Raises
    ------
    ConfigError
        A head that does not exist, an empty folder, a split that leaves a fold without heads,
        or a parameter range no head's model takes.
    """

    def __init__(self, cfg: SynthConfig):
        hrir = cfg.hrir
        self.heads = expand_heads(hrir.sources)
        self.folds = fold_heads(self.heads, hrir.split, cfg.n_folds)
        self.nearfield, self.calibration = bool(hrir.nearfield), str(hrir.calibration)
        self.band_hz = hrir.calibration_band_hz
        self.sample_rate = int(cfg.sample_rate)
        self.split = hrir.split
        self.ranges = {
            name: tuple(getattr(hrir, name))
            for name in PARAMETERS
            if getattr(hrir, name) is not None
        }
        self._manifest = None
        self._takes = [set(get_model(h.spec).parameters) if h.model else set() for h in self.heads]
        for name in self.ranges:
            if not any(name in takes for takes in self._takes):
                raise ConfigError(
                    f"hrir.{name} is given, but no head of hrir.sofa takes it (a SOFA file's "
                    "head is as measured; HRIR models list the parameters they take)",
                    key=f"hrir.{name}",
                )

    @property
    def varies(self) -> bool:
        """Whether files draw their head: several heads, or a parameter range."""
        return len(self.heads) > 1 or bool(self.ranges)

    def candidates(self, fold: int) -> tuple[int, ...]:
        """Indices of the heads the files of ``fold`` draw from."""
        return self.folds[int(fold)]

    def load(self, index: int, parameters: dict | None = None) -> tuple[HRIRSet, dict]:
        """:func:`load_head` of head ``index`` with ``parameters`` (those its model takes)."""
        params = {k: v for k, v in (parameters or {}).items() if k in self._takes[index]}
        return load_head(
            self.heads[index].spec,
            nearfield=self.nearfield,
            sample_rate=self.sample_rate,
            calibration=self.calibration,
            band_hz=self.band_hz,
            parameters=params,
        )

    def record(self, index: int, parameters: dict | None = None) -> dict:
        """The scene record of head ``index`` with the drawn ``parameters`` (a copy)."""
        return dict(self.load(index, parameters)[1])

    def hrirset_of(self, record) -> HRIRSet:
        """The set of a scene's ``hrir`` record (:class:`~bindata.scene.spec.SceneHRIR`).

        Raises
        ------
        SceneError
            The record names a head that is not one of this run's, or differs from what this
            run records for it (another level, or a file that changed).
        """
        index = next((i for i, h in enumerate(self.heads) if h.spec == record.source), None)
        if index is None:
            raise SceneError(
                f"the scene's HRIR set {record.source!r} is not one of this run's heads "
                f"({', '.join(h.spec for h in self.heads)})"
            )
        hrirset, mine = self.load(index, record.parameters)
        if mine != record.to_json():
            raise SceneError(
                f"the scene's HRIR record ({record.to_json()}) is not what this run records for "
                f"that head ({mine}); render it with the config it was drawn with"
            )
        return hrirset

    def manifest_record(self) -> dict:
        """What the manifest records about the heads (``hrir``): each head's spec, folds and a
        file's SHA-256, the level and near-field options, and the split (made once; a copy)."""
        if self._manifest is None:
            self._manifest = self._make_manifest_record()
        return copy.deepcopy(self._manifest)

    def _make_manifest_record(self) -> dict:
        heads = []
        for index, head in enumerate(self.heads):
            entry = {
                "spec": head.spec,
                "folds": [k for k, members in self.folds.items() if index in members],
            }
            if head.entry != head.spec:
                entry["entry"] = head.entry
            if not head.model:
                entry["sha256"] = sha256_file(head.spec)
            heads.append(entry)
        out = {"heads": heads, "nearfield": self.nearfield, "calibration": self.calibration}
        if self.band_hz is not None:
            out["calibration_band_hz"] = list(self.band_hz)
        if self.split is not None:
            out["split"] = self.split
        out.update({name: list(r) for name, r in self.ranges.items()})
        return out


#: Head sets made in this process, by config (the last few).
_SETS: OrderedDict = OrderedDict()
_SETS_KEPT = 8


def head_set(cfg: SynthConfig) -> HeadSet:
    """The :class:`HeadSet` of a run's config, made once per process and config."""
    key = (json.dumps(cfg.hrir.to_json(), sort_keys=True), int(cfg.n_folds), int(cfg.sample_rate))
    with _LOCK:
        if key in _SETS:
            _SETS.move_to_end(key)
            return _SETS[key]
    heads = HeadSet(cfg)
    with _LOCK:
        _SETS[key] = heads
        while len(_SETS) > _SETS_KEPT:
            _SETS.popitem(last=False)
    return heads


__all__ = [
    "HEAD_CACHE_BYTES",
    "HeadSet",
    "clear_heads",
    "head_set",
    "load_head",
    "loaded_heads",
]
