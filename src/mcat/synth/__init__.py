"""The synthetic speed-shift dataset: an articulated 3-D humanoid exercising, filmed by a camera that
never depends on the exercise.

Layers, bottom up: ``body`` (proportions and 3-D forward kinematics), ``exercises`` (joint-angle
trajectories and their variants), ``motion`` (a whole workout as per-frame poses, heading, position and
labels, where tempo lives), ``camera`` (frame shape, shots, perspective projection), ``scene`` (places,
distractors, occluders, overlays, lighting, blur, noise), ``render`` (film a recording: rasterise the
projected body back to front into a frame and its exact mask), ``stage`` (``synth``: write the framewise
layout and ``sets.csv``).
"""
