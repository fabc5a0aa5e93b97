"""The database stamps ``changed_tx``/``change_seq`` on every write of a followed row.

The projections write a batch's rows with one multi-row upsert per table; the trigger
gives each row written its transaction and a fresh sequence number, as the per-event
UPDATEs did with ``pg_current_xact_id()`` and ``nextval`` in their SET lists.
"""

from alembic import op

from services.matching.tables import CHANGE_SEQUENCE, FOLLOWED_TABLES, TOUCH_FUNCTION

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.execute(
        f"CREATE FUNCTION {TOUCH_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " NEW.changed_tx := pg_current_xact_id();"
        f" NEW.change_seq := nextval('{CHANGE_SEQUENCE}');"
        " RETURN NEW; END $$"
    )
    for table in FOLLOWED_TABLES:
        op.execute(
            f"CREATE TRIGGER {table.name}_touched BEFORE INSERT OR UPDATE ON {table.name}"
            f" FOR EACH ROW EXECUTE FUNCTION {TOUCH_FUNCTION}()"
        )


def downgrade() -> None:
    for table in FOLLOWED_TABLES:
        op.execute(f"DROP TRIGGER {table.name}_touched ON {table.name}")
    op.execute(f"DROP FUNCTION {TOUCH_FUNCTION}()")
