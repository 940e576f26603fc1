"""Reading what people type and what exports contain: times and durations, phone numbers.

One place for the command line and the importers alike, so ``2025/2/9 9:05`` or
``138-0013-8000`` means the same thing whichever way it came in.
"""
