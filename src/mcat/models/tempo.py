"""Test-time tempo averaging: a model's class probabilities averaged over its window replayed slower.

A model trained on slow executions misreads a fast one: its window covers more of the movement than any training
window did. Replaying the window at speed factor f ≤ 1 around its label frame (the positions
:func:`mcat.data.windowing.tempo_window` gives speed-invariant training, inside the window's own T frames, so
nothing outside the window is needed) shows the movement closer to the training tempo. The wrapped model averages
the class probabilities of the window at each factor; ``factors = (1,)`` is the model alone.

It lives in the model, not in a stage, so evaluation, the speed test, prediction, the MLflow pyfunc and exported
ONNX / TorchScript files all score a window the same way (:class:`mcat.modelfile.Preprocessing` records the
factors; ``mcat.modelfile.load_model_file`` wraps the trained network).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mcat.data.windowing import label_frame, tempo_window


class TempoAveraged(nn.Module):
    """``network`` with each window also replayed at the speed ``factors`` (each in (0, 1]).

    Input: clips uint8 [B, 2, T, R, R] (and keypoints float32 [B, T, K, 3] for a model that reads them).
    Output: [B, C] log of the class probabilities averaged over the factors, so that a softmax of it, as every
    caller takes of logits, gives the averaged probabilities. The F replays go through the network as one batch
    of F × B windows.
    """

    def __init__(self, network: nn.Module, T: int, factors: tuple[float, ...]):
        super().__init__()
        self.network, self.factors = network, tuple(factors)
        positions = np.stack([tempo_window(label_frame(T), T, T, factor) for factor in self.factors])
        self.register_buffer("positions", torch.from_numpy(positions), persistent=False)  # [F, T] frame indices

    def forward(self, clips: torch.Tensor, pose: torch.Tensor | None = None) -> torch.Tensor:
        return self.averaged(self.network, clips, 2, pose)

    def frame_tokens(self, clips: torch.Tensor) -> torch.Tensor:
        """The network's per-frame tokens [B, T, S, d] (for a network that has them: MCAT's
        :meth:`~mcat.models.mcat.MaskCrossAttentionTransformer.frame_tokens`, :func:`mcat.inference.scores_by_frames`);
        a replay only reorders frames."""
        return self.network.frame_tokens(clips)

    def from_frame_tokens(self, tokens: torch.Tensor, pose: torch.Tensor | None = None) -> torch.Tensor:
        """:meth:`forward` from the windows' frame tokens [B, T, S, d] instead of their clips."""
        return self.averaged(self.network.from_frame_tokens, tokens, 1, pose)

    def averaged(self, score, windows: torch.Tensor, time_dim: int, pose: torch.Tensor | None) -> torch.Tensor:
        """``score`` (logits [F × B, C] of replayed windows and keypoints) averaged over the F replays of ``windows``,
        whose frames run along ``time_dim``: log probabilities [B, C]."""
        replays = self.positions.shape[0]
        inputs = [self.replayed(windows, time_dim)] + ([] if pose is None else [self.replayed(pose, 1)])
        probs = torch.softmax(score(*inputs).float().unflatten(0, (replays, -1)), dim=2)  # [F, B, C]
        return torch.log(probs.mean(dim=0))

    def replayed(self, x: torch.Tensor, time_dim: int) -> torch.Tensor:
        """[B, …, T (at ``time_dim``), …] → the F replays as one batch [F × B, …, T, …], replay-major."""
        picked = x.index_select(time_dim, self.positions.flatten()).unflatten(time_dim, self.positions.shape)
        return picked.movedim(time_dim, 0).flatten(0, 1)
