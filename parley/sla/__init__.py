"""Service-level targets and business hours: pure arithmetic, no database, no clock reads."""
