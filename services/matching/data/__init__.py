"""Dated rule data the matching service ships (see shared.dated): the financing schemes."""
