"""The model zoo: the Mask Cross-Attention Transformer, the paper's baselines and its ablations.

Every model maps uint8 clips [B, 2, T, H, W] (channel 0 gray, 1 mask) to logits [B, C]. Imports torch
(and nothing from the MLOps stack), so it runs on a bare GPU machine; :mod:`mcat.model_names` is
torch-free (params validation reads the names from it).

>>> from mcat.models import build
>>> model = build("mcat", "both", num_classes=11)            # the paper's model
>>> model = build("mcat", "both", 11, fusion="concat", depth=2)  # an ablation
"""

from mcat.model_names import FUSIONS, INPUT_MODES, MODEL_NAMES
from mcat.models.zoo import MODELS, build, from_config

__all__ = ["FUSIONS", "INPUT_MODES", "MODELS", "MODEL_NAMES", "build", "from_config"]
