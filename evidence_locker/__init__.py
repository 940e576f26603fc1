"""evidence-locker: an encrypted, tamper-evident record of debt-collection contacts."""

__version__ = "0.1.0"
