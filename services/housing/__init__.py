"""The housing service."""

# The housing school's events live in their own module while events.py is being
# changed by the settlement and minors work; importing it here registers them in the
# service's registry whenever any part of the service is imported.
from services.housing import school_events as school_events
