"""Content-curation planner for business accounts on X/Twitter: import, learn, score, plan."""

__version__ = "0.1.0"
