"""Why the model decides: Grad-CAM maps of its frame encoders and MCAT's cross-attention weights (``mcat explain``)."""
