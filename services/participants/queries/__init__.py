"""The read side of the participants service, one module per resource.

``journey``: a participant's state, search, caseload, deadlines, timeline and plans;
the other modules read what their concept adds (see the package's files).
"""

from services.participants.queries.journey import *  # noqa: F403
