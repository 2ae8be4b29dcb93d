"""Loading an HRIR set by name: an HRIR model or a SOFA file, at a rate and a level.

:func:`load_hrirset` is the one entry point: it asks the registry of HRIR models
(:mod:`.registry`) or reads a SOFA file (:mod:`.sofa_io`), and calibrates the set's level
(:mod:`.calibration`). The built-in model's disk cache is :mod:`.cache`.
"""

from __future__ import annotations

from ..errors import HRIRError
from .calibration import calibrate
from .hrirset import CALIBRATIONS, REFERENCE_BAND_HZ, HRIRSet
from .registry import get_model, is_model
from .sofa_io import load_sofa


def load_hrirset(
    spec: str | None,
    *,
    sample_rate: int = 24000,
    calibration: str = "reference",
    band_hz=REFERENCE_BAND_HZ,
    parameters: dict | None = None,
) -> HRIRSet:
    """The HRIR set named by ``spec``, at ``sample_rate`` and the level ``calibration``.

    ``None`` or ``"builtin"`` give the built-in structural model (``"builtin:sphere"``: the
    sphere-only model); any other name of an HRIR model (:mod:`.registry`: built in or installed
    through the entry-point group ``bindata.hrirs``) gives that model's set; anything else is a
    SOFA file path read by :func:`.sofa_io.load_sofa`. A set measured at one distance stays
    single-shell (see :func:`.nearfield.nearfield_from_farfield`).

    ``calibration="reference"`` (the default) scales the set to the frontal level reference of
    :mod:`.calibration` (frontal far field, 0 dB re the free field at the head centre in
    ``band_hz``, default 250 Hz-2 kHz), ``"diffuse"`` to its diffuse-field (all-direction)
    level in that band; the gain applied is ``calibration_gain_db`` of the result (and of its
    :meth:`~.hrirset.HRIRSet.describe`). ``"equalised"`` calibrates as ``"reference"``, then
    filters the set so that its diffuse-field spectrum is the built-in head's (diffuse-field
    equalisation, :mod:`.calibration`). ``"raw"`` keeps the level as stored.

    ``parameters`` (a model's only: head radius, ear azimuth, see :mod:`.models`) are passed to
    the model's ``build``; a model that does not take one of them refuses it.
    """
    if calibration not in CALIBRATIONS:
        raise HRIRError(
            f"HRIR calibration must be one of {', '.join(CALIBRATIONS)}, got {calibration!r}"
        )
    spec = "builtin" if spec is None else str(spec)
    parameters = dict(parameters or {})
    if is_model(spec):
        model = get_model(spec)
        unknown = sorted(set(parameters) - set(model.parameters))
        if unknown:
            raise HRIRError(
                f"HRIR model {spec!r} takes no parameter {', '.join(unknown)} (it takes: "
                f"{', '.join(model.parameters) or 'none'})"
            )
        hrirset = model.build(sample_rate=int(sample_rate), **parameters)
        if not isinstance(hrirset, HRIRSet):
            raise HRIRError(
                f"HRIR model {spec!r}: build() returned {type(hrirset).__name__}, not an HRIRSet"
            )
        if hrirset.sample_rate != int(sample_rate):
            raise HRIRError(
                f"HRIR model {spec!r}: build(sample_rate={int(sample_rate)}) returned a set at "
                f"{hrirset.sample_rate} Hz"
            )
    else:
        if parameters:
            raise HRIRError(
                f"{spec}: a SOFA file takes no head parameters ({', '.join(sorted(parameters))})"
            )
        hrirset = load_sofa(spec, sample_rate=sample_rate)
    return calibrate(hrirset, calibration, band_hz=band_hz)
