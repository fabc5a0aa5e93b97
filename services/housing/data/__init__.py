"""Dated rule data of the housing service (shared.dated documents)."""
