"""Use cases that read and write the store: import, retrain, drafts, plans, members, audience, backup."""
