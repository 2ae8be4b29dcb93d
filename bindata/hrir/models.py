"""HRIR models: heads that compute their HRIR set, the built-in ones and the base of others.

A model is registered by name (:mod:`.registry`: built in, or the entry-point group
``bindata.hrirs``) and asked for its set with :meth:`HeadModel.build`. bindata then treats the
set like one read from a SOFA file: it calibrates its level (:mod:`.calibration`), adds
near-field shells to a single-distance set when asked (:mod:`.nearfield`) and keeps it in memory
once per process. A model that takes anthropometric parameters lists them in
:attr:`HeadModel.parameters`; a config that gives a range for one of them
(``hrir.head_radius_m``, ``hrir.ear_azimuth_deg``) has it drawn per file, and :meth:`build` is
called with the drawn values (docs/hrir.md).

The built-in models are the structural head (:class:`StructuralHead`, ``builtin``: sphere, pinna
and torso) and the rigid sphere alone (:class:`SphereHead`, ``builtin:sphere``), computed by
:func:`.builtin.build_model_hrirset` and cached on disk per parameter set (:mod:`.cache`).
"""

from __future__ import annotations

from .cache import default_hrirset
from .hrirset import HRIRSet
from .sphere import EAR_AZIMUTH_DEG, HEAD_RADIUS_M

#: The anthropometric parameters a config can draw per file, with the keyword each one is passed
#: to :meth:`HeadModel.build` under: head radius (m) and azimuth of the left ear (degrees; the
#: right ear mirrors it).
PARAMETERS = ("head_radius_m", "ear_azimuth_deg")


class HeadModel:
    """Base of HRIR models (a third-party model may also be any object with the same members).

    Attributes
    ----------
    name : str
        The name it is registered under (set by the registry).
    parameters : tuple of str
        The entries of :data:`PARAMETERS` that :meth:`build` accepts as keywords; a config's
        range for any other is not drawn for this model (default: none).
    """

    name: str = ""
    parameters: tuple[str, ...] = ()

    def build(self, *, sample_rate: int, **parameters) -> HRIRSet:
        """The model's HRIR set at ``sample_rate``, for the given parameters.

        Parameters
        ----------
        sample_rate : int
            Hz; the set must be at this rate.
        **parameters : float
            Values of (some of) :attr:`parameters`; one left out takes the model's default.

        Returns
        -------
        HRIRSet
            In the container's convention (:mod:`bindata.hrir.hrirset`: responses relative to
            the free field at the head centre, one head-centre arrival for all), at any level:
            bindata calibrates it. The same arguments must give the same set (a scene is
            re-rendered from them).
        """
        raise NotImplementedError


class StructuralHead(HeadModel):
    """The built-in structural head: rigid sphere, pinna, shoulder and torso (``builtin``)."""

    model = "structural"
    parameters = PARAMETERS

    def build(
        self,
        *,
        sample_rate: int,
        head_radius_m: float = HEAD_RADIUS_M,
        ear_azimuth_deg: float = EAR_AZIMUTH_DEG,
    ) -> HRIRSet:
        """The model at ``sample_rate`` for this head radius and ear azimuth (cached on disk)."""
        return default_hrirset(
            sample_rate=sample_rate,
            model=self.model,
            radius_m=head_radius_m,
            ear_azimuth_deg=ear_azimuth_deg,
        )


class SphereHead(StructuralHead):
    """The rigid sphere alone, no pinna or torso (``builtin:sphere``)."""

    model = "sphere"


__all__ = ["PARAMETERS", "HeadModel", "SphereHead", "StructuralHead"]
