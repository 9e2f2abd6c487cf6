"""The synthetic speed-shift dataset: an articulated 2-D humanoid exercising on a textured scene.

Layers, bottom up: ``body`` (proportions and forward kinematics), ``exercises`` (joint-angle
trajectories), ``motion`` (a whole workout as per-frame poses and labels, where tempo lives),
``scene`` (backgrounds, distractors, lighting, noise), ``render`` (rasterise a pose into a frame and
its exact mask), ``stage`` (``synth``: write the framewise layout).
"""
