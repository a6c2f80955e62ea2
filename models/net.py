"""The shipped overhead head detector: a tiny centre-point network (PyTorch, training only).

Input: RGB in [0, 1], (1, 3, 240, 320) (rows x columns). Outputs at stride 4,
(1, 1, 60, 80) `heatmap` (probability that a head top lies in the cell) and
(1, 2, 60, 80) `offset` (where in the cell, x then y, as a fraction of the
cell). A plain conv/BN/ReLU stack down to stride 16 for context (five 3 x 3
convolutions there, two of them the `context` ones, where they are cheap:
each costs about 5 % of the multiply-adds), and a
two-step top-down path back to stride 4: ReLU and plain 3x3 convolutions
quantise to INT8 well, and nearest upsampling is exact in INT8.

With `subcells` (research, not the shipped model) the 1 x 1 head predicts
each stride-4 cell's 2 x 2 sub-cells and a pixel shuffle lays them out: the
same outputs at stride 2, for heads that touch, for 1.07 times the
inference (models/TRIALS.md, "Held-out accuracy: where busy loses recall").
"""

from __future__ import annotations

import torch
from torch import nn

INPUT_WIDTH_PX = 320
INPUT_HEIGHT_PX = 240
STRIDE = 4  # input pixels per heatmap cell; SUBCELL_STRIDE with `subcells`
SUBCELL_STRIDE = 2


def _conv(c_in: int, c_out: int, stride: int = 1, kernel: int = 3) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class CentrePointNet(nn.Module):
    """134,279 parameters and 125 M multiply-adds at 320 x 240 (`context` 2, the shipped model's;
    0 gives the model shipped until 2026-12-02, 92,615 and 112 M; every convolution counted)."""

    def __init__(self, width: int = 24, subcells: bool = False, context: int = 2) -> None:
        super().__init__()
        w = width
        self.stride = SUBCELL_STRIDE if subcells else STRIDE
        per_cell = (STRIDE // self.stride) ** 2  # 1, or the 4 sub-cells of each stride-4 cell
        self.c4 = nn.Sequential(_conv(3, 12, 2), _conv(12, w, 2), _conv(w, w))
        self.c8 = nn.Sequential(_conv(w, 32, 2), _conv(32, 32))
        self.c16 = nn.Sequential(
            _conv(32, 48, 2), _conv(48, 48), _conv(48, 48), *(_conv(48, 48) for _ in range(context))
        )
        self.lat16 = _conv(48, w, kernel=1)
        self.lat8 = _conv(32, w, kernel=1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.mix8 = _conv(w, w)
        self.mix4 = _conv(w, w)
        self.head = nn.Conv2d(w, 3 * per_cell, 1)
        self.subcell_layout: nn.Module = nn.PixelShuffle(2) if subcells else nn.Identity()
        with torch.no_grad():
            self.head.bias[:per_cell] = -4.0  # heads are rare: start the heatmap near 0.02

    def load_weights(self, state: dict[str, torch.Tensor]) -> None:
        """Load `state`; weights of the stride-4 head start every sub-cell of a `subcells` head alike.

        Raises:
            RuntimeError: `state` is not a CentrePointNet's (as `load_state_dict`).
        """
        state = dict(state)
        per_cell = self.head.out_channels // 3
        if state["head.weight"].shape[0] == 3 and per_cell > 1:
            state["head.weight"] = state["head.weight"].repeat_interleave(per_cell, dim=0)
            state["head.bias"] = state["head.bias"].repeat_interleave(per_cell)
        self.load_state_dict(state)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 3, H, W) RGB in [0, 1] -> heatmap (N, 1, H/s, W/s) and offset (N, 2, H/s, W/s), both in
        [0, 1], s = `self.stride`."""
        c4 = self.c4(image)
        c8 = self.c8(c4)
        c16 = self.c16(c8)
        p8 = self.mix8(self.lat8(c8) + self.up(self.lat16(c16)))
        p4 = self.mix4(c4 + self.up(p8))
        out = self.subcell_layout(self.head(p4))
        return torch.sigmoid(out[:, :1]), torch.sigmoid(out[:, 1:])
