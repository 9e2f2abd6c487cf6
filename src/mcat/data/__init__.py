"""Reading datasets and the stores between stages: sources, layouts, video decoding, the frame and mask
stores, the window rule and ``WindowDataset``."""
