"""Evaluation (``mcat evaluate``): scikit-learn metrics per split, the speed-shift gap, plots."""
