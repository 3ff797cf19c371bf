"""a unit's scope from an index: operator (id) INCLUDE (filing_unit_code, verifying_unit_code)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

A branch or station sees the operators it files or verifies (registry.auth.scope.operator_clause), so
every scoped count of a unit's work tests those two columns of the operator row: per row (the filing
lists' EXISTS), or over the unit's operators (the home page's count of operators due for inspection,
`filing_unit_code = X OR verifying_unit_code = X`, which PostgreSQL answered by reading the 10,000
operator rows of the largest branch from the table). With the two columns beside the id in one index both
read the index alone: the branch's home page 140-153 ms -> 67-76 ms on bench/pages.py's city (100,000
filings, 50,000 operators), the 核对 queue a few ms less. The units are INCLUDEd, not keys: as keys,
PostgreSQL used the index to walk a unit's operators in id order (test_query_plans). SQLite has no INCLUDE:
there the index is on id alone, which is its rowid (SQLite reads the row by rowid anyway).
"""
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_operator_scope", "operator", ["id"],
                    postgresql_include=["filing_unit_code", "verifying_unit_code"])


def downgrade() -> None:
    op.drop_index("ix_operator_scope", table_name="operator")
