"""Looking after a locker as a whole: backup, restore, merge, and ``doctor``'s diagnosis.

These work on the locker's files and its ledger from outside a single write, so they
sit beside the :class:`~evidence_locker.locker.Locker` API rather than inside it.
"""
