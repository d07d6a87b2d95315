"""Subcommands beyond the basics, registered on import (train, score, drafts, plan, audience...)."""
