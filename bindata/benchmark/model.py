"""The CRNN of the paper's Fig. 1, in PyTorch (import only after :func:`require_torch`).

- Three blocks of a 3x3 convolution (``filters`` channels, 'same' padding), ReLU, batch
  normalisation and max-pooling across frequency only (``pool``, default (4, 4, 2): 512 bins ->
  16), time resolution kept;
- two bidirectional GRU layers (``gru_units`` per direction), each output passed through tanh;
- Q branches, each a G-unit linear layer followed by a C-unit output layer; the forward pass returns
  logits and a sigmoid gives the probabilities (training uses binary cross-entropy on logits).

Parameters are initialised from a ``torch.Generator`` (PyTorch's default distributions: uniform
``+-1/sqrt(fan_in)`` for convolutions and linear layers, ``+-1/sqrt(hidden)`` for GRUs), never
from the global random state: the network is built on the ``meta`` device and filled in.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import BenchmarkError


class CRNN(nn.Module):
    """Convolutional recurrent network with Q output branches.

    Parameters
    ----------
    branches : sequence of (int, int)
        ``(G, C)`` of each branch.
    n_bins, in_channels : int, keyword-only
        Input frequency bins (512) and feature channels (4).
    filters : int, keyword-only
        Channels of each convolution.
    pool : sequence of int, keyword-only
        Frequency pooling of each of the conv blocks (their product must divide ``n_bins``).
    gru_units : int, keyword-only
        Units per direction of each bidirectional GRU.
    """

    def __init__(
        self, branches, *, n_bins=512, in_channels=4, filters=64, pool=(4, 4, 2), gru_units=128
    ):
        super().__init__()
        if n_bins % math.prod(pool):
            raise BenchmarkError(f"pooling {tuple(pool)} must divide the {n_bins} frequency bins")
        layers, ch = [], in_channels
        for p in pool:
            layers += [
                nn.Conv2d(ch, filters, 3, padding=1),
                nn.ReLU(inplace=True),
                nn.BatchNorm2d(filters),
                nn.MaxPool2d((1, p)),
            ]
            ch = filters
        self.conv = nn.Sequential(*layers)
        width = filters * (n_bins // math.prod(pool))
        self.gru1 = nn.GRU(width, gru_units, batch_first=True, bidirectional=True)
        self.gru2 = nn.GRU(2 * gru_units, gru_units, batch_first=True, bidirectional=True)
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Linear(2 * gru_units, g), nn.Linear(g, c)) for g, c in branches
        )

    def forward(self, x):
        """Logits (B, T, sum C) of features ``x`` (B, 4, T, n_bins)."""
        conv = self.__dict__.get("compiled_conv") or self.conv
        return self.recurrent(conv(x))

    def recurrent(self, h):
        """Logits (B, T, sum C) of the conv blocks' output ``h`` (B, filters, T, bins left)."""
        b, ch, t, f = h.shape
        h = h.permute(0, 2, 1, 3).reshape(b, t, ch * f)
        h = torch.tanh(self.gru1(h)[0])
        h = torch.tanh(self.gru2(h)[0])
        return torch.cat([head(h) for head in self.heads], dim=-1)


class FrequencyMaxPool(nn.Module):
    """Max-pooling over groups of ``size`` adjacent frequency bins, for inference.

    Equal to ``nn.MaxPool2d((1, size))`` on (B, C, T, F) inputs (a maximum is exact), computed
    as one reduction over the channels-last memory (B, T, F/size, size, C): on a 2-core Xeon
    it took 2.1 ms per 128-frame window after the first convolution where ``MaxPool2d`` took
    4.9 ms. Training keeps ``MaxPool2d``, whose gradient picks one of tied maxima.
    """

    def __init__(self, size: int):
        super().__init__()
        self.size = int(size)

    def forward(self, h):
        b, c, t, f = h.shape
        grouped = h.permute(0, 2, 3, 1).reshape(b, t, f // self.size, self.size, c)
        return grouped.amax(dim=3).permute(0, 3, 1, 2)


def pool_first(conv: nn.Sequential) -> nn.Sequential:
    """The conv blocks of a trained network in the order conv, max-pool, ReLU, batch norm.

    For inference only (batch norm in evaluation mode is the per-channel map
    ``y = s x + t`` with ``s = weight / sqrt(running_var + eps)``). Max-pooling commutes with
    every non-decreasing function applied element-wise: with ReLU always, and with the batch
    norm of a channel when ``s > 0`` (floating-point rounding is monotone too). So where every
    channel of a block has ``s > 0`` that block's ReLU and batch norm can run after the pooling,
    on a quarter (a half) of the values, with the same result up to rounding; a block with a
    channel of ``s <= 0`` keeps its order. The pooling itself becomes :class:`FrequencyMaxPool`.
    The network's parameters are shared, not copied.
    """
    layers = list(conv)
    out = []
    for k in range(0, len(layers), 4):
        conv_layer, relu, norm, pool = layers[k : k + 4]
        pool = FrequencyMaxPool(pool.kernel_size[1])
        scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
        if bool((scale > 0).all()):
            out += [conv_layer, pool, relu, norm]
        else:
            out += [conv_layer, relu, norm, pool]
    return nn.Sequential(*out)


def init_parameters(model: nn.Module, generator: torch.Generator) -> None:
    """Fill every parameter and buffer of ``model`` from ``generator`` (see the module doc)."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()
                bound = 1.0 / math.sqrt(fan_in)
                module.weight.uniform_(-bound, bound, generator=generator)
                module.bias.uniform_(-bound, bound, generator=generator)
            elif isinstance(module, nn.GRU):
                bound = 1.0 / math.sqrt(module.hidden_size)
                for p in module.parameters():
                    p.uniform_(-bound, bound, generator=generator)
            elif isinstance(module, nn.BatchNorm2d):
                module.weight.fill_(1.0)
                module.bias.zero_()
                module.reset_running_stats()


def build_model(branches, *, generator: torch.Generator, **arch) -> CRNN:
    """A :class:`CRNN` on the CPU, initialised from ``generator`` only.

    Parameters
    ----------
    branches : sequence of (int, int)
        ``(G, C)`` of each branch.
    generator : torch.Generator, keyword-only
        A CPU generator seeded by the caller.
    **arch
        ``n_bins``, ``in_channels``, ``filters``, ``pool``, ``gru_units`` of :class:`CRNN`.
    """
    with torch.device("meta"):
        model = CRNN(branches, **arch)
    model = model.to_empty(device="cpu")
    init_parameters(model, generator)
    return model
