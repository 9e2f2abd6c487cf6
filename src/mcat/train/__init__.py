"""Training (``mcat train``): class weights, clip-consistent augmentation, the seeded, resumable loop."""
