"""Employers' contact persons sealed with a key of their own (erasable)."""

from alembic import op

from shared.kit_migrations import add_columns, drop_columns

revision = "0004"
down_revision = "0003"


# 0002 creates the tables from the current metadata, so on a fresh database these exist
# already; IF NOT EXISTS makes the step a no-op there.
def upgrade() -> None:
    op.execute(
        "CREATE TABLE IF NOT EXISTS contact_keys ("
        " contact_id UUID PRIMARY KEY,"
        " employer_id UUID NOT NULL,"
        " key BYTEA NOT NULL)"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_contact_keys_employer_id ON contact_keys (employer_id)"
    )
    add_columns("employers", {"contact_id": "UUID"})


def downgrade() -> None:
    drop_columns("employers", ["contact_id"])
    op.execute("DROP TABLE IF EXISTS contact_keys")
