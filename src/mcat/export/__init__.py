"""A trained model as one file for serving and the edge (``mcat export``): ONNX fp32, ONNX int8, TorchScript."""
