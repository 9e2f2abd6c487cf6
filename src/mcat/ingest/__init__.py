"""``mcat ingest``: a dataset (framewise or MM-Fit, local or S3) decoded into the frame store."""
