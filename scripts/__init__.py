"""Developer tooling for the workshop repo (not imported by notebooks)."""
