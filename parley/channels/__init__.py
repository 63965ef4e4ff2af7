"""Channel adapters. Each family package exposes ``router`` and ``senders(settings)``."""
