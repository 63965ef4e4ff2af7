"""Automation: procedures (AOPs) and the knowledge base."""
