"""Kesu domain: the complaint procedure as pure rules (standard library only)."""
