"""The synthesis of a dataset: scene -> audio (the mix) -> files, for every file of a run.

- :mod:`~bindata.synth.run`: ``bindata synth`` and ``bindata regen`` (:func:`synth_config`,
  :func:`synthesize`, :func:`render_scene_file`), and single files (:func:`draw_scene`,
  :func:`render_scene`);
- :mod:`~bindata.synth.mix`: a scene's audio: every event through its room kind's BRIR, the
  ambience at its SNR, scaled to 16-bit PCM;
- :mod:`~bindata.synth.parallel`, :mod:`~bindata.synth.dask_backend`: where the files are made
  (this process, local worker processes, a Dask cluster), results in file order;
- :mod:`~bindata.synth.brirs`: ``bindata brirs``, the BRIRs of sampled rooms as SOFA files.

This package exports the public names of :mod:`bindata.synth.run`.
"""

from .run import (
    check_scene_options,
    draw_scene,
    load_resources,
    load_scene,
    render_scene,
    render_scene_file,
    resources_for_config,
    resources_for_scene,
    synth_config,
    synthesize,
    wav_bytes,
)

__all__ = [
    "synth_config",
    "synthesize",
    "draw_scene",
    "render_scene",
    "render_scene_file",
    "load_scene",
    "load_resources",
    "resources_for_config",
    "resources_for_scene",
    "check_scene_options",
    "wav_bytes",
]
