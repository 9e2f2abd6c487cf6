"""From a dataset on disk or S3 to training clips: ingest → store → windows → ``WindowDataset``."""
