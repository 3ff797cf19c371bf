"""operator place_kind: rules 1 and 2 by place, not only by builder

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

The notice (section 一) gives the city's and the districts' 科信 the systems the government "负责建设的交通
道路、广场等公共场所". `operator.place_kind` records where the system is: `road` 交通道路, `public_place`
广场等公共场所, `internal` 单位内部（办公楼等）. A government-built system in an office building is routed by
the ordinary rules (registry/routing.py).

Existing rows get NULL (未申报, not declared): the router keeps rules 1/2 for a government-built operator
with no declared place, flagged `place_kind_unspecified`, so no existing operator or filing changes hands
by this migration. Declaring the place (PATCH /api/v1/operators/{id}) re-routes it.

`filing.place_kind` is the place kind the operator declares on its filing form (NULL for earlier filings);
the officers' page shows it beside the operator's, so a declaration that would route elsewhere is seen.
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

PLACE_KIND = sa.Enum("road", "public_place", "internal", name="placekind")


def upgrade() -> None:
    PLACE_KIND.create(op.get_bind(), checkfirst=True)
    for table in ("operator", "filing"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("place_kind", PLACE_KIND, nullable=True))


def downgrade() -> None:
    for table in ("filing", "operator"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("place_kind")
    PLACE_KIND.drop(op.get_bind(), checkfirst=True)
