"""Prediction on new videos (``mcat predict``): masks, windows, classes, a timeline of exercise segments."""
