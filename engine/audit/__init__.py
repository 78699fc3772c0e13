"""The record: the hash-chained history, integrity checks, checkpoints, the replay that proves a case,
process-mining exports and the access log."""
