"""The paper's model: the mask stream matters, the attention maps, learning through both streams."""

import torch
from torch import nn

from mcat.models import build

from .conftest import SMALL, random_clips


def test_zeroing_the_mask_changes_the_logits():
    model = build("mcat", "both", 5, **SMALL).eval()
    clips = random_clips(4)
    no_mask = clips.clone()
    no_mask[:, 1] = 0
    assert not torch.allclose(model(clips), model(no_mask), atol=1e-5)
    appearance_only = build("mcat", "both", 5, fusion="none", **SMALL).eval()
    torch.testing.assert_close(appearance_only(clips), appearance_only(no_mask))


def test_attention_maps_are_distributions_over_mask_tokens():
    model = build("mcat", "both", 5, **SMALL).eval()
    alpha = model.attention_maps(random_clips(3, t=6))
    assert alpha.shape == (3, SMALL["heads"], 6, 6)
    torch.testing.assert_close(alpha.sum(dim=-1), torch.ones(3, SMALL["heads"], 6))


def two_stream_task(n: int = 32, t: int = 4, size: int = 24, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips whose class needs both streams: label = 2·(gray is bright) + (mask is large).

    Gray frames are uniform (brightness only), masks are squares at random places; no noise to memorise.
    """
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 4
    clips = torch.zeros(n, 2, t, size, size, dtype=torch.uint8)
    for i, label in enumerate(labels.tolist()):
        clips[i, 0] = 200 if label >= 2 else 60
        side = 14 if label % 2 else 6
        y, x = torch.randint(0, size - side, (2,), generator=g).tolist()
        clips[i, 1, :, y:y + side, x:x + side] = 1
    return clips, labels


def train_accuracy(fusion: str, steps: int = 150) -> float:
    torch.manual_seed(0)
    clips, labels = two_stream_task()
    model = build("mcat", "both", 4, fusion=fusion, dropout=0.0, **{k: v for k, v in SMALL.items()})
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(clips), labels).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        return (model(clips).argmax(dim=1) == labels).float().mean().item()


def test_overfits_a_task_that_needs_both_streams():
    assert train_accuracy("cross_attention") == 1.0
    # Without the mask stream half of the information is missing: at most chance within each brightness.
    assert train_accuracy("none") <= 0.6
