"""The offline sync protocol and ingest: what a device collected reaches the store once.

Framework-free: the HTTP view (dtm/api/sync.py), the OpenRosa endpoint and the bulk
importer all hand batches to `ingest.ingest_batch` and commit what it flushed.
"""
