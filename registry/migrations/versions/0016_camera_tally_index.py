"""the statistics report's camera figures: an index of the coded cameras with every column the report counts

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

数据报送 counts, per operator in the unit's scope, the coded cameras in use at the period's end by form
factor, those removed in it and those filed in it (registry/statistics/service.py). Without this index
PostgreSQL fetches every such camera row from the table (324 MB at 1,000,000 cameras, larger than the
buffer cache): the largest branch's 182,000 cameras took 400 ms of its quarter's report, the city's
million 950 ms (bench/pages.py, bench/supervision.py). The partial index on (operator_id, filing_id,
form_factor, status, created_at, removed_at) of the coded cameras holds every column the count reads,
so a vacuumed table (autovacuum) is counted from the index alone; it is 15 MB at a million cameras
(rows of one filing share their keys: B-tree deduplication).
"""
from alembic import op
import sqlalchemy as sa

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

CODED = "code IS NOT NULL"
COLUMNS = ["operator_id", "filing_id", "form_factor", "status", "created_at", "removed_at"]


def upgrade() -> None:
    op.create_index("ix_camera_coded_tally", "camera", COLUMNS,
                    postgresql_where=sa.text(CODED), sqlite_where=sa.text(CODED))


def downgrade() -> None:
    op.drop_index("ix_camera_coded_tally", table_name="camera")
