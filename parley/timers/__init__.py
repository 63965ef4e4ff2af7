"""System events: time-based automation over interactions that exist.

- ``arm``: after each message, durable timer jobs for the organization's no_customer_reply,
  no_agent_reply and interaction_idle flows (``parley.actions.messages`` calls it).
- ``schedule``: one self-rescheduling job per active schedule flow version.
- ``run``: facts about an interaction, the flows' plan applied, the decision trace stored; and
  ``raise_system_event``, which the SLA code calls on a breach.
- ``handlers``: the job handlers registered with the job runner.

This package's ``__init__`` imports nothing on purpose: ``parley.actions.messages`` imports
``parley.timers.arm``, and ``run`` imports the actions, so the modules are imported by name.
See docs/flows.md, "System events".
"""
