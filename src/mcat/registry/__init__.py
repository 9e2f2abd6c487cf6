"""The MLflow model registry: register a trained model as the ``challenger``, promote it to ``champion``
through gates, list versions. Aliases, not the deprecated stages."""
