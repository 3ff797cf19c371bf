"""change filings that cannot fork: superseded filings, a date of change, one physical camera under one code

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

* filing state `superseded`: a filed filing whose change filing (第十条) has been filed;
* filing `change_date`: when the filed content changed (a change filing's lateness counts from it);
* camera: a physical camera (same serial and MAC, or same ONVIF endpoint UUID) is active under one code
  only — two partial unique indexes over the active, coded cameras. A pair of factory-default serial and
  factory-default MAC (no-name OEM boards share them by the thousand) is not an identity. Cameras listed on an open filing
  have no code yet and are not counted; a removed camera keeps its code but no longer counts.

Before the indexes are built the migration looks for cameras that already break the rule and stops with
a list of them (code, filing) so they can be resolved by a change filing; nothing is changed then.
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ACTIVE_CODED = "status = 'active' AND code IS NOT NULL"
# Factory-default serial + MAC pairs of no-name OEM boards identify nothing (registry/cameras/models.py).
FACTORY_PAIR = ("serial IN ('000000000000', '123456789ABCDEF', 'XM0000000001') AND mac IN ('00:12:41:00:00:01', "
                "'00:12:12:12:12:12', '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff')")
IDENTITIES = (
    ("ux_camera_active_serial_mac", ("serial", "mac"),
     f"serial IS NOT NULL AND serial <> '' AND mac IS NOT NULL AND NOT ({FACTORY_PAIR})"),
    ("ux_camera_active_onvif_uuid", ("onvif_uuid",), "onvif_uuid IS NOT NULL AND onvif_uuid <> ''"),
)


def _duplicates(columns: tuple[str, ...], where: str) -> list[str]:
    keys = ", ".join(columns)
    rows = op.get_bind().execute(sa.text(
        f"SELECT c.code, f.number, {', '.join('c.' + k for k in columns)} FROM camera c "
        f"JOIN filing f ON f.id = c.filing_id WHERE ({', '.join('c.' + k for k in columns)}) IN ("
        f"SELECT {keys} FROM camera WHERE {ACTIVE_CODED} AND {where} GROUP BY {keys} HAVING count(*) > 1) "
        f"AND c.status = 'active' AND c.code IS NOT NULL ORDER BY {', '.join('c.' + k for k in columns)}, c.code "
        "LIMIT 50")).all()
    return [f"{row[0]} (备案 {row[1]}): {'/'.join(str(v) for v in row[2:])}" for row in rows]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TYPE filingstate ADD VALUE IF NOT EXISTS 'superseded'")
    with op.batch_alter_table("filing") as batch_op:
        batch_op.add_column(sa.Column("change_date", sa.Date(), nullable=True))
    for name, columns, where in IDENTITIES:
        found = _duplicates(columns, where)
        if found:
            raise RuntimeError(f"{name}: these active cameras share {' + '.join(columns)}; resolve them (a change "
                               "filing retiring the duplicate) before migrating:\n  " + "\n  ".join(found))
        predicate = sa.text(f"{ACTIVE_CODED} AND {where}")
        op.create_index(name, "camera", list(columns), unique=True, postgresql_where=predicate,
                        sqlite_where=predicate)


def downgrade() -> None:
    for name, _columns, _where in IDENTITIES:
        op.drop_index(name, table_name="camera")
    with op.batch_alter_table("filing") as batch_op:
        batch_op.drop_column("change_date")
    # PostgreSQL cannot drop an enum value; superseded filings must be set back to filed before a downgrade.
