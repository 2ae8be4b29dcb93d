"""Speed settings of training and prediction in PyTorch: precision, memory layout, compiling.

- **Precision** (:attr:`~bindata.benchmark.runs.ComputeConfig.precision`): ``bf16`` runs the
  forward pass under ``torch.autocast`` with ``torch.bfloat16``: convolutions, GRUs and linear
  layers compute in bfloat16 (8-bit mantissa, the float32 exponent range, so no loss scaling is
  needed), while weights, batch-norm statistics, the loss and Adam stay float32 (mixed precision
  as in Micikevicius et al., "Mixed Precision Training", ICLR 2018). ``auto`` takes bf16 where
  the hardware computes it natively: a CUDA device with bf16 support, or a CPU whose oneDNN
  reports bf16 (AVX512-BF16 or AMX instructions); elsewhere fp32.
- **Channels-last**: the convolution inputs and weights in NHWC layout, the layout oneDNN and
  cuDNN prefer (no reorders around each convolution).
- **Compiling**: optional ``torch.compile`` of the convolution blocks, with a clean fall-back.
- **Freed memory kept** (:func:`keep_freed_memory`, CPU only): a training step allocates and
  frees activation buffers of hundreds of MB (batch 32 x 64 filters x 128 frames x 512 bins is
  268 MB in bf16). glibc serves each such block with its own ``mmap`` and returns it to the
  system on ``free``, so every step pays the kernel again for zeroed pages (most of the time
  outside the program). ``mallopt`` (glibc's documented tuning call, ``man 3 mallopt``) can serve
  them from the heap instead and keep the freed heap for the next step: ``M_MMAP_MAX = 0``,
  ``M_TRIM_THRESHOLD`` at its largest (2 GiB), ``M_TOP_PAD`` 256 MiB. The cost is that the
  process keeps its peak memory (3.2 instead of 1.8 GB for the default model on a CPU).

Measured with ``benchmarks/bench_train.py`` on 2 idle Intel Xeon cores (AVX512-BF16 and AMX):
bf16 channels-last 1.35 s per step, 0.80 s with the freed memory kept (fp32 channels-last
2.49 and 1.35 s). Earlier, on 2 lightly shared AMD EPYC cores (AVX512-BF16, no AMX), one
training step of the default model (batch 32 x 128 frames x 4 x 512
features): fp32 5.6 s, fp32 channels-last 4.1 s, bf16 3.1 s, bf16 channels-last 2.2 s (x2.5);
``torch.compile`` took ~40 s and gave no clear gain. Timings on a shared machine are noisy;
``benchmarks/bench_train.py`` measures these on an idle machine.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
import warnings

from . import require_torch
from .runs import ComputeConfig


def cpu_has_bf16() -> bool:
    """True when oneDNN computes bfloat16 natively on this CPU (AVX512-BF16 or AMX)."""
    torch = require_torch()
    try:
        return bool(
            torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
        )
    except (AttributeError, RuntimeError):
        return False


def resolve_precision(precision: str, device: str) -> str:
    """``fp32`` or ``bf16``: ``precision`` with ``auto`` resolved for ``device``."""
    torch = require_torch()
    if precision != "auto":
        return precision
    if str(device).startswith("cuda"):
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if cpu_has_bf16() else "fp32"


def autocast(device: str, precision: str):
    """Context of the forward pass: bf16 autocast on ``device``'s type, or nothing for fp32."""
    torch = require_torch()
    if precision == "bf16":
        return torch.autocast(device_type=str(device).split(":")[0], dtype=torch.bfloat16)
    return contextlib.nullcontext()


def memory_format(compute: ComputeConfig):
    """``torch.channels_last`` or ``torch.contiguous_format``."""
    torch = require_torch()
    return torch.channels_last if compute.channels_last else torch.contiguous_format


def to_input(x, device: str, compute: ComputeConfig):
    """A feature batch (array or tensor, (B, 4, T, F)) on ``device`` in the chosen layout."""
    torch = require_torch()
    t = torch.as_tensor(x).to(device, non_blocking=True)
    return t.contiguous(memory_format=memory_format(compute))


def prepare(net, device: str, compute: ComputeConfig):
    """``net`` on ``device`` in the chosen layout, its conv blocks compiled when asked."""
    net.to(device=device, memory_format=memory_format(compute))
    if compute.compile:
        # a plain attribute (not a submodule): state_dict keys stay those of the eager network
        net.__dict__["compiled_conv"] = compile_or_eager(net.conv)
    return net


#: glibc ``mallopt`` parameters (``<malloc.h>``), the values :func:`keep_freed_memory` sets, and
#: glibc's documented defaults it sets back (at most 65536 mmap'ed blocks, 128 KiB trim
#: threshold and top pad; set explicitly, they also stop glibc's dynamic mmap threshold).
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_MAX = -1, -2, -4
_KEEP = {_M_MMAP_MAX: 0, _M_TRIM_THRESHOLD: 2**31 - 1, _M_TOP_PAD: 256 * 2**20}
_GLIBC_DEFAULTS = {_M_MMAP_MAX: 65536, _M_TRIM_THRESHOLD: 128 * 1024, _M_TOP_PAD: 128 * 1024}


def keep_freed_memory(keep: bool = True) -> bool:
    """Serve large allocations from the heap and keep freed memory for reuse (see the module
    notes); ``keep=False`` sets glibc's default values back. Process-wide.

    Returns
    -------
    bool
        Whether the setting was applied: False off Linux or without glibc's ``mallopt``.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    values = _KEEP if keep else _GLIBC_DEFAULTS
    return all(mallopt(param, value) == 1 for param, value in values.items())


def compile_or_eager(module):
    """``torch.compile(module)``, or ``module`` itself (with a warning) when that fails here."""
    torch = require_torch()
    try:
        compiled = torch.compile(module)
    except Exception as exc:  # noqa: BLE001 - any backend failure means: run eagerly
        warnings.warn(f"torch.compile unavailable ({exc}); training eagerly", stacklevel=2)
        return module
    return _Fallback(compiled, module)


class _Fallback:
    """Calls the compiled module; on its first failure warns and calls the eager one for good."""

    def __init__(self, compiled, eager):
        self.compiled, self.eager, self.failed = compiled, eager, False

    def __getattr__(self, name):
        return getattr(self.eager, name)

    def __call__(self, *args):
        if not self.failed:
            try:
                return self.compiled(*args)
            except Exception as exc:  # noqa: BLE001
                warnings.warn(f"torch.compile failed ({exc}); training eagerly", stacklevel=2)
                self.failed = True
        return self.eager(*args)
