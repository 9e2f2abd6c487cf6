"""Kubeflow pipelines of mcat: :mod:`pipelines.training` is the DAG from a dataset to a registered model."""
