"""Everything that talks to the host over SSH."""
