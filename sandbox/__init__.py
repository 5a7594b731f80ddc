"""A local, real stand-in of the practice's online contacts service (same API)."""
