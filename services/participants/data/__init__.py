"""Dated rule data the participants service ships (see shared.dated and the README)."""
