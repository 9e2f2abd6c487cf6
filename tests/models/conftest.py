import pytest
import torch

SMALL = {"channels": (4, 8, 16), "d": 32, "heads": 4, "ffn": 64, "depth": 1}
SMALL_BY_MODEL = {
    "mcat": SMALL,
    "transformer": SMALL,
    "vivit": {k: SMALL[k] for k in ("d", "heads", "ffn", "depth")},
    "mlp": {"channels": (4, 8, 16), "hidden": 32},
    "lstm": {"channels": (4, 8, 16), "hidden": 16},
    "tcn": {"channels": (4, 8, 16), "width": 32},
}


def random_clips(batch: int = 2, t: int = 4, size: int = 32, seed: int = 0) -> torch.Tensor:
    """uint8 [B, 2, T, size, size]: random gray, random binary mask."""
    g = torch.Generator().manual_seed(seed)
    clips = torch.randint(0, 256, (batch, 2, t, size, size), dtype=torch.uint8, generator=g)
    clips[:, 1] = (clips[:, 1] > 127).to(torch.uint8)
    return clips


def random_pose(batch: int = 2, t: int = 4, seed: int = 0) -> torch.Tensor:
    """float [B, T, 13, 3]: random joints in the frame, about one in five unseen (0, 0, 0)."""
    g = torch.Generator().manual_seed(seed)
    pose = torch.rand(batch, t, 13, 3, generator=g)
    pose[..., 2] = (pose[..., 2] > 0.2).float()
    return pose * pose[..., 2:]


@pytest.fixture
def clips() -> torch.Tensor:
    return random_clips()
