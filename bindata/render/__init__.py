"""The renderer: sound from geometry, HRIRs and signals; it knows no scene and no room kind.

- :mod:`~bindata.render.shoebox`: the flat shoebox room, :class:`ShoeboxRoom`, and the wall
  reflection coefficient that gives a target RT60 (calibrated on the image-source decay, not
  Sabine).
- :mod:`~bindata.render.image_source`: the image sources within a distance, vectorised.
- :mod:`~bindata.render.brir`: :func:`render_brir`, the binaural assembly of a flat room;
  :mod:`~bindata.render.bands`: a room with materials, per octave band;
  :mod:`~bindata.render.diffuse_tail`: a diffuse late tail.
- :mod:`~bindata.hrir.lookup`, :mod:`~bindata.render.assembly`: the fast nearest-direction
  search and the sum of delayed HRIRs they rely on.
- :mod:`~bindata.render.path`, :mod:`~bindata.render.path_bands`: early BRIRs of many poses at
  once (moving sources, turning heads); :mod:`~bindata.render.moving`: the time-varying
  convolution through them.
- :mod:`~bindata.render.ambience`: diffuse and recorded ambience signals.
- :mod:`~bindata.render.directivity`: source directivity (cardioid family, measured SOFA) and
  orientation, :class:`~bindata.render.directivity.SourceRadiation`, which the shoebox
  renderers take as ``radiation``; :mod:`~bindata.render.drr`: the direct-to-reverberant ratio
  of a BRIR.

Room kinds (:mod:`bindata.rooms`) render their descriptions with these modules; the mix of a
scene is :mod:`bindata.synth.mix`.
"""

from .brir import BRIR, render_brir
from .image_source import image_sources, iter_image_sources
from .shoebox import ShoeboxRoom, decay_time_s, reflection_coefficient

__all__ = [
    "BRIR",
    "ShoeboxRoom",
    "decay_time_s",
    "image_sources",
    "iter_image_sources",
    "reflection_coefficient",
    "render_brir",
]
