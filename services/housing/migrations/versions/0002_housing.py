"""Housing read models: dwellings, waiting list, placements, ownership, rent rates, households.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from services.housing.tables import metadata

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
