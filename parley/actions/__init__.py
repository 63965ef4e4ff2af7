"""Actions: the only code that writes. Each takes the session its edge opened and never commits.

Naming follows what a function promises: ``check_*`` validates and may raise, ``do_*`` applies a
change, writes its Activity rows and records its outbox events in the same transaction.
"""
