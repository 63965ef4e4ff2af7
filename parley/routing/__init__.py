"""Queues, routing and agent capacity: which waiting interaction goes to which present agent."""
