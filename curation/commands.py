"""Subcommands beyond the basics, registered on import (train, score, drafts, plan, audience...)."""

import curation.cli_model  # noqa: F401
import curation.audience  # noqa: F401
import curation.team  # noqa: F401
import curation.cli_plan  # noqa: F401
