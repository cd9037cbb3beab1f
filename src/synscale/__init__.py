"""synscale."""
