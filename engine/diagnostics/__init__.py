"""Support diagnostics without Qt or the CLI: what is collected (``collect``) and how
secrets and tax file numbers are kept out of it (``scrub``)."""
