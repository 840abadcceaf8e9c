"""Blob Storage work above the client layer: planned, ETag-guarded, journalled deletes (`deletion`)
and the size of a folder per tier (`usage`)."""
