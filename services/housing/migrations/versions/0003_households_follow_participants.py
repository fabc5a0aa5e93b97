"""Households follow every participants event that changes them; sealed application needs.

Members get the date and reason they left the household, birth years arrive apart, and
the keys that seal application needs live outside the projections. The households read
model is rebuilt from the inbox by ``veiviser replay housing``.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    # 0002 creates the tables from the current metadata, so a fresh database already has
    # this shape; only a database migrated before this revision needs the changes.
    inspector = sa.inspect(op.get_bind())
    if "household_keys" in inspector.get_table_names():
        return
    op.drop_column("household_members", "moved_out_on")
    op.add_column("household_members", sa.Column("gone_on", sa.Date))
    op.add_column("household_members", sa.Column("gone_reason", sa.Text))
    op.add_column("household_members", sa.Column("to_municipality", sa.String(4)))
    op.drop_column("households", "moved_out_on")
    op.add_column("households", sa.Column("left_on", sa.Date))
    op.add_column("households", sa.Column("left_reason", sa.Text))
    op.add_column("households", sa.Column("left_to_municipality", sa.String(4)))
    op.add_column(
        "housing_applications",
        sa.Column("needs_erased", sa.Boolean, nullable=False, server_default="false"),
    )
    op.create_table(
        "participant_birth_years",
        sa.Column("participant_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("birth_year", sa.Integer, nullable=False),
    )
    op.create_table(
        "household_keys",
        sa.Column("household_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("key", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "person_keys",
        sa.Column("participant_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("key", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "application_member_needs",
        sa.Column("application_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("participant_id", pg.UUID(as_uuid=True), primary_key=True, index=True),
        sa.Column("needs_wheelchair_access", sa.Boolean, nullable=False),
        sa.Column("needs_step_free", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("application_member_needs")
    op.drop_table("person_keys")
    op.drop_table("household_keys")
    op.drop_table("participant_birth_years")
    op.drop_column("housing_applications", "needs_erased")
    for column in ("left_to_municipality", "left_reason", "left_on"):
        op.drop_column("households", column)
    op.add_column("households", sa.Column("moved_out_on", sa.Date))
    for column in ("to_municipality", "gone_reason", "gone_on"):
        op.drop_column("household_members", column)
    op.add_column("household_members", sa.Column("moved_out_on", sa.Date))
