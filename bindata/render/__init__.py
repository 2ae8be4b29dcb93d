"""Binaural room impulse responses of shoebox rooms (image sources through an HRIR set).

- :mod:`~bindata.render.room`: :class:`ShoeboxRoom` and the wall reflection coefficient that
  gives a target RT60 (calibrated on the image-source decay, not Sabine).
- :mod:`~bindata.render.image_source`: the image sources within a distance, vectorised.
- :mod:`~bindata.render.brir`: :func:`render_brir`, the binaural assembly.
- :mod:`~bindata.hrir.lookup`, :mod:`~bindata.render.assembly`: the fast nearest-direction
  search and the sum of delayed HRIRs they rely on.
"""

from .brir import BRIR, render_brir
from .image_source import image_sources, iter_image_sources
from .room import ShoeboxRoom, decay_time_s, reflection_coefficient

__all__ = [
    "BRIR",
    "ShoeboxRoom",
    "decay_time_s",
    "image_sources",
    "iter_image_sources",
    "reflection_coefficient",
    "render_brir",
]
