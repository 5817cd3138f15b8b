"""Mamba-2-style SSM mixer: in-projection, short causal conv, selective scan, gate, out-projection.

Two ways to run it with the same result: `forward` (chunked parallel scan over a sequence,
optionally continuing from a state) and `step` (one token, O(1) state). The scan itself is
`memos.kernels.ssd_scan` / `ssd_step`, so faster kernels plug in behind the same calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from memos.kernels import ssd_scan, ssd_step
from memos.model.config import ModelConfig


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


@dataclass
class MixerState:
    """Recurrent state of one mixer: the scan state and the last conv_width-1 conv inputs."""

    ssm: torch.Tensor  # (B, H, P, N) fp32
    conv: torch.Tensor  # (B, W-1, conv_channels)


class SSMMixer(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d_in, n, h = cfg.d_inner, cfg.d_state, cfg.n_heads
        self.conv_channels = d_in + 2 * n  # x, B, C go through the conv (B, C shared by heads)
        self.in_proj = nn.Linear(cfg.d_model, 2 * d_in + 2 * n + h, bias=False)
        # Depthwise causal conv as shifted sums: nn.Conv1d's depthwise backward is slow on CPU.
        self.conv_weight = nn.Parameter(torch.randn(cfg.conv_width, self.conv_channels) / math.sqrt(cfg.conv_width))
        self.conv_bias = nn.Parameter(torch.zeros(self.conv_channels))
        # Per-head decay rates spread over [1, 16] and time steps over [1e-3, 1e-1] (Mamba init).
        self.A_log = nn.Parameter(torch.log(torch.linspace(1.0, 16.0, h)))
        dt = torch.exp(torch.linspace(math.log(1e-3), math.log(1e-1), h))
        self.dt_bias = nn.Parameter(dt + torch.log(-torch.expm1(-dt)))  # inverse softplus
        self.D = nn.Parameter(torch.ones(h))
        self.norm = RMSNorm(d_in, cfg.norm_eps)
        self.out_proj = nn.Linear(d_in, cfg.d_model, bias=False)

    def empty_state(self, batch: int, device: torch.device) -> MixerState:
        cfg = self.cfg
        return MixerState(
            ssm=torch.zeros(batch, cfg.n_heads, cfg.head_dim, cfg.d_state, device=device),
            conv=torch.zeros(batch, cfg.conv_width - 1, self.conv_channels, device=device),
        )

    def _split(self, zxbcdt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        d_in = self.cfg.d_inner
        return zxbcdt[..., :d_in], zxbcdt[..., d_in : d_in + self.conv_channels], zxbcdt[..., -self.cfg.n_heads :]

    def _ssm_inputs(self, xbc: torch.Tensor, dt_raw: torch.Tensor):
        cfg = self.cfg
        d_in, n, h, p = cfg.d_inner, cfg.d_state, cfg.n_heads, cfg.head_dim
        x, b, c = xbc[..., :d_in], xbc[..., d_in : d_in + n], xbc[..., d_in + n :]
        dt = F.softplus(dt_raw + self.dt_bias)  # (..., H)
        log_a = -torch.exp(self.A_log) * dt  # (..., H) <= 0
        x = x.unflatten(-1, (h, p))  # (..., H, P)
        b = b.unsqueeze(-2).expand(*b.shape[:-1], h, n)  # (..., H, N)
        c = c.unsqueeze(-2).expand(*c.shape[:-1], h, n)
        return x, x * dt.unsqueeze(-1), log_a, b, c

    def _finish(self, y: torch.Tensor, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        y = y + x * self.D[:, None]  # skip connection per head
        y = y.flatten(-2) * F.silu(z)
        return self.out_proj(self.norm(y))

    def forward(
        self, u: torch.Tensor, state: MixerState | None = None
    ) -> tuple[torch.Tensor, MixerState]:
        """u (B, L, D) -> (B, L, D) and the state after the last token."""
        bsz, length, _ = u.shape
        if state is None:
            state = self.empty_state(bsz, u.device)
        z, xbc, dt_raw = self._split(self.in_proj(u))
        w = self.cfg.conv_width
        padded = torch.cat([state.conv.to(xbc.dtype), xbc], dim=1)  # (B, W-1+L, C)
        conv = self.conv_bias + sum(
            padded[:, j : j + length] * self.conv_weight[j] for j in range(w)
        )  # weight[W-1] multiplies the current token
        new_conv = padded[:, -(w - 1) :].detach().clone() if w > 1 else state.conv
        x, x_dt, log_a, b, c = self._ssm_inputs(F.silu(conv), dt_raw)
        y, ssm = ssd_scan(x_dt, log_a, b, c, chunk_size=self.cfg.scan_chunk, initial_state=state.ssm)
        return self._finish(y, x, z), MixerState(ssm=ssm, conv=new_conv)

    def step(self, u: torch.Tensor, state: MixerState) -> tuple[torch.Tensor, MixerState]:
        """One token: u (B, D) -> (B, D) and the new state (the old one is untouched)."""
        z, xbc, dt_raw = self._split(self.in_proj(u))
        window = torch.cat([state.conv, xbc[:, None]], dim=1)  # (B, W, C)
        conv = self.conv_bias + (window * self.conv_weight).sum(1)
        x, x_dt, log_a, b, c = self._ssm_inputs(F.silu(conv), dt_raw)
        y, ssm = ssd_step(x_dt, log_a, b, c, state.ssm)
        return self._finish(y, x, z), MixerState(ssm=ssm, conv=window[:, 1:])


class MLP(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.up = nn.Linear(cfg.d_model, cfg.mlp_mult * cfg.d_model, bias=False)
        self.down = nn.Linear(cfg.mlp_mult * cfg.d_model, cfg.d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.gelu(self.up(x)))
