"""HTTP routes of the matching service, one router per resource."""
