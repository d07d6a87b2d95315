"""Subcommands beyond the basics, registered on import (train, score, drafts, plan, audience...)."""

import curation.audience
import curation.cli_activity
import curation.cli_model
import curation.cli_plan
import curation.team  # noqa: F401
