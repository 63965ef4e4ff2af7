"""Parley: an omnichannel interaction hub for support and contact-centre teams."""

__version__ = "0.1.0"
