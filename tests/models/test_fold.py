"""Scoring with batch norms folded into their convolutions: the same function, fewer passes; training and
Grad-CAM keep the network as trained."""

import torch
from torch import nn

from mcat.inference import fold_batch_norm, prepare
from mcat.models import build
from mcat.modelfile import load_model_file

from .conftest import SMALL, random_clips, random_pose


def _with_running_statistics(model: nn.Module) -> nn.Module:
    """``model`` after a few training batches' worth of batch-norm statistics (fresh ones are the identity)."""
    generator = torch.Generator().manual_seed(0)
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.running_mean.copy_(torch.randn(module.running_mean.shape, generator=generator))
            module.running_var.copy_(torch.rand(module.running_var.shape, generator=generator) + 0.5)
            module.weight.data.copy_(torch.randn(module.weight.shape, generator=generator))
    return model.eval()


def _norms(model: nn.Module) -> int:
    return sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def test_folding_keeps_every_models_scores_and_leaves_no_batch_norm_after_a_convolution():
    for name, mode in (("mcat", "mask+pose"), ("tcn", "both")):
        network = _with_running_statistics(prepare(build(name, mode, 5, **(SMALL if name == "mcat" else {})),
                                                   torch.device("cpu")))
        folded = fold_batch_norm(network)
        assert _norms(network) > 0 and _norms(folded) == 0, name
        inputs = (random_clips(3, t=8), random_pose(3, t=8)) if mode == "mask+pose" else (random_clips(3, t=8),)
        with torch.no_grad():
            torch.testing.assert_close(folded(*inputs), network(*inputs), atol=1e-5, rtol=1e-4)
        convs = [m for m in folded.modules() if isinstance(m, nn.Conv2d)]
        assert all(m.weight.is_contiguous(memory_format=torch.channels_last) for m in convs), name


def test_a_loaded_model_scores_folded_and_explains_the_network_as_trained(tiny_trained):
    model = load_model_file(tiny_trained[2] / "model.pt")
    assert _norms(model.model) == 0 and _norms(model.network) > 0
    assert not model.network.training and model.network is not model.model
