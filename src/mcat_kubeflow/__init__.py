"""The Kubeflow shell of mcat, beside the CLI (``mcat.cli``) and ``dvc.yaml``: Kubeflow Pipelines v2 components
that call the library's stages (:mod:`.components`), the DAG that chains them (:mod:`.dag`), and compiling,
submitting or running it locally (:mod:`.run`, behind ``mcat pipeline``). It imports ``mcat``; ``mcat`` never
imports it (``mcat.cli`` hands ``mcat pipeline`` over to :mod:`.cli`).
"""
