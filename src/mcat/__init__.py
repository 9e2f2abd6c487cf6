"""mcat: exercise recognition that stays accurate when people exercise faster than in training.

The library holds every stage of the pipeline as one plain function (see ``mcat.cli`` for the list);
the CLI, the DVC stages and the Kubeflow components only call them.
"""

__version__ = "0.1.0"
