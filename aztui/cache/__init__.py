"""BuildKit `azblob` remote caches: the cache read into a model (`buildkit`), the pure GC planner
(`planner`) and the executor that deletes exactly a plan (`executor`)."""
