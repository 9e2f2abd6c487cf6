"""The data-quality gate (``mcat validate``): Great Expectations over the masks' quality and the store."""
