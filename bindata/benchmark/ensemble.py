"""Several CRNNs of one architecture trained as one batched network (import after torch).

Models that train on the same data (the models of all methods on one fold: same files, same
split, so the same number of sequences and batches) are stacked into a :class:`GroupedCRNN`:

- the three conv blocks of the M members become one block each with ``groups=M`` grouped
  convolutions (member ``m`` owns input channels ``[4m, 4m + 4)`` and output channels
  ``[Fm, Fm + F)``), one batch normalisation over ``M F`` channels (statistics are per channel,
  so per member) and the same frequency max-pooling: one large kernel instead of M small ones;
- each member keeps its own GRUs and branches (the very modules of its network), fed its slice.

Member ``m`` sees its own batch ``x[m]`` (its own shuffled order, as when trained alone). The loss
is the sum of the members' losses; as no parameter is shared, each member's gradient is that of
its own loss. Adam is element-wise, so one Adam over the grouped parameters, started from the
members' concatenated moments, makes the members' own Adam steps: after :meth:`write_back` the
members hold the weights, buffers and Adam moments they would have had if trained one by one
(equal up to floating-point rounding of the grouped kernels). Members must be at the same Adam
step (the same epoch).
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import BenchmarkError


def _grouped_like(layer: nn.Module, m: int) -> nn.Module:
    """An empty grouped version of one conv-block layer for ``m`` members."""
    if isinstance(layer, nn.Conv2d):
        return nn.Conv2d(
            layer.in_channels * m,
            layer.out_channels * m,
            layer.kernel_size,
            padding=layer.padding,
            groups=m,
            device="meta",
        )
    if isinstance(layer, nn.BatchNorm2d):
        return nn.BatchNorm2d(
            layer.num_features * m, eps=layer.eps, momentum=layer.momentum, device="meta"
        )
    return layer  # ReLU, MaxPool2d: no state


class GroupedCRNN(nn.Module):
    """M :class:`~bindata.benchmark.model.CRNN` of one architecture as one network.

    Parameters
    ----------
    nets : sequence of CRNN
        Members (same filters, pooling, bins); their conv weights are copied, their GRUs and
        branches are used as they are.
    """

    def __init__(self, nets):
        super().__init__()
        if not nets:
            raise BenchmarkError("a batched ensemble needs at least one model")
        self.members = list(nets)
        m = len(self.members)
        layers = [_grouped_like(layer, m) for layer in self.members[0].conv]
        self.conv = nn.Sequential(*layers).to_empty(device=self.members[0].gru1.weight_ih_l0.device)
        self.tails = nn.ModuleList(
            nn.ModuleDict({"gru1": n.gru1, "gru2": n.gru2, "heads": n.heads}) for n in self.members
        )
        with torch.no_grad():
            for name, tensor in self._grouped_tensors():
                tensor.copy_(torch.cat([t for t in self._member_tensors(name)], dim=0))
            for k, layer in enumerate(self.conv):
                if isinstance(layer, nn.BatchNorm2d):
                    layer.num_batches_tracked.copy_(self.members[0].conv[k].num_batches_tracked)

    def _grouped_tensors(self):
        """(name, tensor) of every grouped parameter and per-channel buffer."""
        for name, p in self.conv.named_parameters():
            yield name, p
        for name, b in self.conv.named_buffers():
            if not name.endswith("num_batches_tracked"):
                yield name, b

    def _member_tensors(self, name: str):
        return [
            n.conv.get_parameter(name) if "running" not in name else n.conv.get_buffer(name)
            for n in self.members
        ]

    def forward(self, x):
        """Per member logits (B, T, C_m) of stacked features ``x`` (M, B, 4, T, n_bins)."""
        m, b, c, t, f = x.shape
        layout = getattr(self, "memory_format", torch.contiguous_format)
        h = self.conv(x.transpose(0, 1).reshape(b, m * c, t, f).contiguous(memory_format=layout))
        parts = h.unflatten(1, (m, -1)).unbind(1)
        return [net.recurrent(p) for net, p in zip(self.members, parts, strict=True)]

    def write_back(self) -> None:
        """Copy the grouped conv weights, statistics and counters back into the members."""
        m = len(self.members)
        with torch.no_grad():
            for name, tensor in self._grouped_tensors():
                for dst, src in zip(self._member_tensors(name), tensor.chunk(m), strict=True):
                    dst.copy_(src)
            for k, layer in enumerate(self.conv):
                if isinstance(layer, nn.BatchNorm2d):
                    for net in self.members:
                        net.conv[k].num_batches_tracked.copy_(layer.num_batches_tracked)


def _param_map(grouped: GroupedCRNN):
    """Per grouped parameter: ``(param, [member params])``, grouped conv ones chunked."""
    out = [
        (p, [n.conv.get_parameter(name) for n in grouped.members])
        for name, p in grouped.conv.named_parameters()
    ]
    out += [(p, [p]) for p in grouped.tails.parameters()]
    return out


def merged_adam(grouped: GroupedCRNN, optimizers, *, lr: float):
    """One Adam over ``grouped``'s parameters carrying the members' Adam moments.

    Parameters
    ----------
    grouped : GroupedCRNN
    optimizers : sequence of torch.optim.Adam
        Member ``m``'s optimizer, over its network's parameters.
    lr : float
    """
    opt = torch.optim.Adam(grouped.parameters(), lr=lr)
    states = {}
    for opt_m in optimizers:
        states.update(opt_m.state)
    for p, members in _param_map(grouped):
        have = [states.get(q) for q in members]
        if all(h is None or not h for h in have):
            continue
        if any(h is None or not h for h in have):
            raise BenchmarkError("a batched ensemble needs its models at the same training step")
        steps = {float(h["step"]) for h in have}
        if len(steps) != 1:
            raise BenchmarkError(f"a batched ensemble needs one Adam step, got {sorted(steps)}")
        opt.state[p] = {
            "step": have[0]["step"].clone(),
            "exp_avg": torch.cat([h["exp_avg"] for h in have]),
            "exp_avg_sq": torch.cat([h["exp_avg_sq"] for h in have]),
        }
    return opt


def split_adam(grouped: GroupedCRNN, opt, optimizers) -> None:
    """Give each member optimizer its part of the merged Adam state (inverse of merged_adam)."""
    owner = {}
    for k, opt_m in enumerate(optimizers):
        for group in opt_m.param_groups:
            owner.update({id(q): k for q in group["params"]})
    for p, members in _param_map(grouped):
        st = opt.state.get(p)
        if not st:
            continue
        parts = zip(
            st["exp_avg"].chunk(len(members)), st["exp_avg_sq"].chunk(len(members)), strict=True
        )
        for q, (avg, avg_sq) in zip(members, parts, strict=True):
            optimizers[owner[id(q)]].state[q] = {
                "step": st["step"].clone(),
                "exp_avg": avg.clone(),
                "exp_avg_sq": avg_sq.clone(),
            }
