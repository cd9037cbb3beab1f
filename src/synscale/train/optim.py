"""AdamW over one flat tensor: every parameter and its gradient are views into one buffer.

On the CPU torch's ``foreach`` AdamW still loops over the parameter tensors, ~10 elementwise ops
for each of them per step (~400 small kernels for ``mini_resnet``'s 38 tensors); with every
parameter a view into one contiguous tensor the same update is ~10 ops on that one tensor. Each
element goes through the same arithmetic, so the weights are those of
``torch.optim.AdamW(params, foreach=True)`` bit for bit (tested for the mini models in
``tests/train/test_step_speedups.py``), and so is the state dict, which keeps torch's
per-parameter layout: a checkpoint loads into either optimiser.

From the second step on, backward sums each gradient into the zeroed buffer (0 + g is g but for
the sign of a zero gradient, which no update can tell) instead of handing over a fresh tensor.
Every parameter must receive a gradient every step: torch's AdamW skips a parameter whose
gradient is None, here it would be a zero gradient (the first step checks).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn


class FlatAdamW(torch.optim.AdamW):
    """``torch.optim.AdamW(params, lr, weight_decay=..., foreach=True)`` on one flat tensor.

    The parameters (one dtype, one device) become views into ``self.flat`` and their gradients,
    after the first step, views into ``self.flat.grad``. ``release()`` gives the parameters their
    own storage again (to save them as separate tensors) and ends the optimiser's use.
    """

    def __init__(self, params: Iterable[nn.Parameter], lr: float, weight_decay: float) -> None:
        self.params = list(params)
        kinds = {(p.dtype, p.device) for p in self.params}
        if len(kinds) != 1:
            raise ValueError(f"FlatAdamW needs parameters of one dtype on one device, got {kinds}")
        ((dtype, device),) = kinds
        # empty_like keeps a dense tensor's strides (channels-last stays channels-last).
        self._strides = [torch.empty_like(p).stride() for p in self.params]
        self.flat = nn.Parameter(torch.empty(sum(p.numel() for p in self.params), dtype=dtype,
                                             device=device))
        with torch.no_grad():
            for p, view in zip(self.params, self._views(self.flat.detach()), strict=True):
                view.copy_(p)
                p.data = view
                p.grad = None
        self.flat.grad = torch.zeros_like(self.flat)
        self._attached = False  # are the parameters' gradients views into flat.grad yet?
        super().__init__([self.flat], lr=lr, weight_decay=weight_decay, foreach=True)

    def _views(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """Each parameter's slice of ``flat``, shaped and strided like the parameter."""
        views, offset = [], 0
        for p, strides in zip(self.params, self._strides, strict=True):
            views.append(flat.as_strided(p.shape, strides, offset))
            offset += p.numel()
        return views

    def zero_grad(self, set_to_none: bool = True) -> None:
        if self._attached:
            self.flat.grad.zero_()  # the views must stay: zeroed, never dropped
        else:
            for p in self.params:
                p.grad = None

    @torch.no_grad()
    def step(self, closure: None = None) -> None:  # type: ignore[override]
        if not self._attached:
            self._attach_grads()
        super().step()

    def _attach_grads(self) -> None:
        """Move the first backward's gradients into the buffer and make them views of it."""
        missing = [i for i, p in enumerate(self.params) if p.grad is None]
        if missing:
            raise ValueError(f"FlatAdamW needs a gradient for every parameter; parameters "
                             f"{missing[:5]} got none (torch.optim.AdamW skips such parameters)")
        for p, grad in zip(self.params, self._views(self.flat.grad), strict=True):
            grad.copy_(p.grad)
            p.grad = grad
        self._attached = True

    def state_dict(self) -> dict[str, Any]:
        """The state dict ``torch.optim.AdamW`` over the parameters one by one would have."""
        state = super().state_dict()
        (group,) = state["param_groups"]
        per_parameter = {}
        if (flat := state["state"].get(0)) is not None:
            moments = zip(self._views(flat["exp_avg"]), self._views(flat["exp_avg_sq"]), strict=True)
            per_parameter = {i: {"step": flat["step"].clone(), "exp_avg": m, "exp_avg_sq": v}
                             for i, (m, v) in enumerate(moments)}
        return {"state": per_parameter,
                "param_groups": [{**group, "params": list(range(len(self.params)))}]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict of ``torch.optim.AdamW`` over the same parameters (or of this)."""
        (group,) = state_dict["param_groups"]
        if len(group["params"]) != len(self.params):
            raise ValueError(f"the state dict is of {len(group['params'])} parameters, "
                             f"this optimiser has {len(self.params)}")
        states = [state_dict["state"].get(i) for i in group["params"]]
        if any(s is None for s in states) and any(s is not None for s in states):
            raise ValueError("FlatAdamW cannot load a state in which only some parameters have stepped")
        flat = {}
        if states and states[0] is not None:
            flat = {"step": states[0]["step"].clone(),
                    "exp_avg": self._gather([s["exp_avg"] for s in states]),
                    "exp_avg_sq": self._gather([s["exp_avg_sq"] for s in states])}
        super().load_state_dict({"state": {0: flat} if flat else {},
                                 "param_groups": [{**group, "params": [0]}]})

    def _gather(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        """Per-parameter tensors as one flat tensor laid out like ``self.flat``."""
        flat = torch.empty_like(self.flat.detach())
        for view, tensor in zip(self._views(flat), tensors, strict=True):
            view.copy_(tensor)
        return flat

    def release(self) -> None:
        """Give every parameter its own storage (same values, same strides) and no gradient;
        the optimiser must not step after this."""
        for p in self.params:
            p.data = p.data.clone()
            p.grad = None
        self.flat.grad = None
