"""Pose keypoints per frame, the third spatial prior (the paper's future work): the joint set every source shares,
the estimators and their quality statistics."""
