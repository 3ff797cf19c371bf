"""the desk's queue and the 核对 queue: partial indexes in deadline order

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

The desk lists a unit's open filings (submitted, accepted, corrected, correction_requested) nearest
deadline first, the not yet accepted ones (no deadline) before all; the 核对 queue lists the filings
awaiting 核对 (clock running, none recorded) the same way. PostgreSQL had to read all of a branch's
open filings (about 1,900 at 100,000 filings) and sort them for the first page of 50, and a count of up to
1,000 read the rows again: 40-80 ms for the desk, 20-30 ms for the 核对 queue (bench/pages.py).

* `ix_filing_open_unit_deadline`: the open filings by (filing_unit_code, coalesce(deadline, '1900-01-01'),
  id), with operator_id, state and deadline on PostgreSQL so the counts (the list's, the home page's to-do)
  need no table row: a page is the first 51 entries of the unit, under a millisecond.
* `ix_filing_awaiting_verification_deadline`: the filings awaiting 核对 by (coalesce(deadline, '1900-01-01'),
  id), with filing_unit_code, operator_id and deadline on PostgreSQL.

The expression is registry.filings.models.DEADLINE_SQL, which the queues' sort (DEADLINE_ORDER) also uses.
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

DEADLINE = "coalesce(deadline, '1900-01-01')"
OPEN = "state IN ('submitted', 'accepted', 'corrected', 'correction_requested')"
AWAITING = "state IN ('accepted', 'corrected') AND verification_result IS NULL"


def upgrade() -> None:
    op.create_index("ix_filing_open_unit_deadline", "filing", ["filing_unit_code", sa.text(DEADLINE), "id"],
                    postgresql_include=["operator_id", "state", "deadline"], postgresql_where=sa.text(OPEN),
                    sqlite_where=sa.text(OPEN))
    op.create_index("ix_filing_awaiting_verification_deadline", "filing", [sa.text(DEADLINE), "id"],
                    postgresql_include=["filing_unit_code", "operator_id", "deadline"],
                    postgresql_where=sa.text(AWAITING),
                    sqlite_where=sa.text(AWAITING))


def downgrade() -> None:
    op.drop_index("ix_filing_awaiting_verification_deadline", table_name="filing")
    op.drop_index("ix_filing_open_unit_deadline", table_name="filing")
