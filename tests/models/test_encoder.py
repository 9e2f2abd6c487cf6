"""The frame encoder runs its first two blocks' ReLU after the max-pool: the paper's order to the bit."""

import copy

import pytest
import torch
from torch import nn

from mcat.models.encoder import FrameEncoder, in_the_papers_order


@pytest.mark.parametrize("channels_last", [False, True])
def test_pooling_before_the_relu_changes_no_bit_forward_or_backward(channels_last):
    torch.manual_seed(0)
    encoder = FrameEncoder(in_channels=1, channels=(4, 6, 8)).train()
    with torch.no_grad():
        for module in encoder.modules():
            if isinstance(module, nn.BatchNorm2d):  # some channels negated: a max before the ReLU is then wrong
                module.weight.copy_(torch.randn(module.weight.shape))
    assert [type(m) for m in encoder.net[0]][2:] == [nn.MaxPool2d, nn.ReLU]  # the reordered block under test
    reference = in_the_papers_order(copy.deepcopy(encoder)).net
    frames = torch.randn(2, 3, 1, 20, 20)
    frames[..., :4, :4] = 0.0  # ties inside a pooling window
    memory = torch.channels_last if channels_last else torch.contiguous_format
    encoder, reference = encoder.to(memory_format=memory), reference.to(memory_format=memory)

    ours = encoder(frames.clone().requires_grad_())
    papers = reference(frames.flatten(0, 1).contiguous(memory_format=memory)).view(2, 3, -1)
    assert torch.equal(ours, papers)
    (ours * torch.arange(ours.numel()).view_as(ours)).sum().backward()
    (papers * torch.arange(papers.numel()).view_as(papers)).sum().backward()
    for (name, mine), theirs in zip(encoder.net.named_parameters(), reference.parameters()):
        assert torch.equal(mine.grad, theirs.grad), name
    for ours_bn, papers_bn in zip((m for m in encoder.modules() if isinstance(m, nn.BatchNorm2d)),
                                  (m for m in reference.modules() if isinstance(m, nn.BatchNorm2d))):
        assert torch.equal(ours_bn.running_mean, papers_bn.running_mean)
