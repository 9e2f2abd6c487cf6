"""``mcat windows``: the sliding-window index over the frame store, one CSV per split."""
