"""Housing read models: dwellings, waiting list, placements, ownership, rent rates, households."""

from services.housing.tables import metadata
from shared.kit_migrations import tables_as_declared

revision = "0002"
down_revision = "0001"

upgrade, downgrade = tables_as_declared(metadata)
