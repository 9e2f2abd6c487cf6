import numpy as np
import onnxruntime as ort
import pytest
import torch

from mcat.models import MODELS, build
from mcat.models.export import export_onnx

from .conftest import SMALL_BY_MODEL, random_clips


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_exports_to_onnx_with_a_dynamic_batch(name, tmp_path):
    model = build(name, "both", 5, **SMALL_BY_MODEL[name])
    path = export_onnx(model, random_clips(2), tmp_path / f"{name}.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.onnx"]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    clips = random_clips(7, seed=3)
    logits = session.run(["logits"], {"clips": clips.numpy()})[0]
    with torch.no_grad():
        np.testing.assert_allclose(logits, model.eval()(clips).numpy(), atol=1e-4, rtol=1e-4)


def test_onnx_puts_each_relu_right_after_its_convolution(tmp_path):
    """The encoders' ReLU runs after the max-pool in torch; the ONNX graph has it after the convolution (the paper's
    order, the same function), where ONNX Runtime fuses it and static int8 quantizes its output range."""
    import onnx

    model = build("mcat", "both", 5, **SMALL_BY_MODEL["mcat"])
    graph = onnx.load(str(export_onnx(model, random_clips(2), tmp_path / "m.onnx"))).graph
    made_by = {out: node.op_type for node in graph.node for out in node.output}
    relu_inputs = [made_by.get(node.input[0]) for node in graph.node if node.op_type == "Relu"]
    blocks = sum(len(encoder.net) for encoder in (model.encoder, model.mask_encoder))
    assert relu_inputs.count("Conv") == blocks and "MaxPool" not in relu_inputs, relu_inputs
