"""Exercise classes. Id 0 is always ``non_activity`` (standing, walking, transitions between sets)."""

from __future__ import annotations

NON_ACTIVITY = "non_activity"

#: MM-Fit's ten exercises, in the order of its paper; with ``non_activity`` the "WITH NULL" protocol.
MMFIT_EXERCISES = (
    "squats",
    "lunges",
    "bicep_curls",
    "situps",
    "pushups",
    "tricep_extensions",
    "dumbbell_rows",
    "jumping_jacks",
    "dumbbell_shoulder_press",
    "lateral_shoulder_raises",
)

#: The exercises ``synth.exercises`` may name: the renderer (``mcat.synth.exercises``) defines one motion for each.
EXERCISES = MMFIT_EXERCISES


def class_names(exercises: list[str] | tuple[str, ...]) -> list[str]:
    """Class names indexed by class id: ``non_activity`` first, then ``exercises`` in order."""
    return [NON_ACTIVITY, *exercises]
