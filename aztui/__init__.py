"""aztui: a terminal admin tool for Azure Blob Storage, container registries and BuildKit caches."""

__version__ = "0.1.0"
