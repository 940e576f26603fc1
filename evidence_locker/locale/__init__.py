"""User-facing text: the message files (``*.toml``, one per feature) and their reader.

The reader (:mod:`evidence_locker.locale.messages`) lives beside the files it reads, so
a feature that adds words adds a file here and touches no code.
"""
