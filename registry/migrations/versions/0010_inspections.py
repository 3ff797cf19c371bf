"""inspections: 检查 with their checklist lines and photos, 整改通知, the editable checklist, spot-check draws

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

The checklist table starts empty; the default lines (registry/inspections/default_checklist.json) are
loaded on first use, so an administrator's edits are data, never code.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checklist_item',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('article', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('signage', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('supervision_counter',
    sa.Column('unit_code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit_code', 'year', 'kind')
    )
    op.create_table('spot_check_draw',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('season', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('seed', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('population_ids', sa.JSON(), nullable=False),
    sa.Column('sample_ids', sa.JSON(), nullable=False),
    sa.Column('drawn_on', sa.Date(), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('drawn_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('year', 'season', name='uq_spot_check_draw_window')
    )
    op.create_table('inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('kind', sa.Enum('periodic', 'ad_hoc', 'special', 'random', name='inspectionkind'), nullable=False),
    sa.Column('state', sa.Enum('open', 'signed', 'refused', name='inspectionstate'), nullable=False),
    sa.Column('inspected_on', sa.Date(), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('officer_ids', sa.JSON(), nullable=False),
    sa.Column('officer_names', sa.JSON(), nullable=False),
    sa.Column('scan_id', sa.Integer(), nullable=True),
    sa.Column('findings', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('representative_name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('representative_title', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('representative_statement', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('refusal_note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_comment', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['scan_id'], ['scan.id'], ),
    sa.ForeignKeyConstraint(['unit_code'], ['police_unit.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.create_index('ix_inspection_inspected_on_id', ['inspected_on', 'id'], unique=False)
        batch_op.create_index('ix_inspection_operator_id_inspected_on', ['operator_id', 'inspected_on'], unique=False)
        batch_op.create_index('ix_inspection_unit_code_inspected_on', ['unit_code', 'inspected_on'], unique=False)

    op.create_table('inspection_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('article', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('signage', sa.Boolean(), nullable=False),
    sa.Column('result', sa.Enum('ok', 'hazard', 'na', name='itemresult'), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('inspection_id', 'key', name='uq_inspection_item_key')
    )
    with op.batch_alter_table('inspection_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_item_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('inspection_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('mime', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('caption', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inspection_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_photo_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('rectification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('workdays', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('due_provisional', sa.Boolean(), nullable=False),
    sa.Column('state', sa.Enum('open', 'closed', 'escalated', name='rectificationstate'), nullable=False),
    sa.Column('follow_up_inspection_id', sa.Integer(), nullable=True),
    sa.Column('outcome_note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['follow_up_inspection_id'], ['inspection.id'], ),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['unit_code'], ['police_unit.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('inspection_id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('rectification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectification_operator_id'), ['operator_id'], unique=False)
        batch_op.create_index('ix_rectification_state_due_date', ['state', 'due_date'], unique=False)
        batch_op.create_index('ix_rectification_unit_code_state_due', ['unit_code', 'state', 'due_date'], unique=False)

    op.create_table('spot_check_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('conforming', sa.Boolean(), nullable=False),
    sa.Column('finding', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['draw_id'], ['spot_check_draw.id'], ),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('draw_id', 'inspection_id', name='uq_spot_check_finding')
    )
    with op.batch_alter_table('spot_check_finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spot_check_finding_draw_id'), ['draw_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('spot_check_finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spot_check_finding_draw_id'))

    op.drop_table('spot_check_finding')
    with op.batch_alter_table('rectification', schema=None) as batch_op:
        batch_op.drop_index('ix_rectification_unit_code_state_due')
        batch_op.drop_index('ix_rectification_state_due_date')
        batch_op.drop_index(batch_op.f('ix_rectification_operator_id'))

    op.drop_table('rectification')
    with op.batch_alter_table('inspection_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_photo_inspection_id'))

    op.drop_table('inspection_photo')
    with op.batch_alter_table('inspection_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_item_inspection_id'))

    op.drop_table('inspection_item')
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_index('ix_inspection_unit_code_inspected_on')
        batch_op.drop_index('ix_inspection_operator_id_inspected_on')
        batch_op.drop_index('ix_inspection_inspected_on_id')

    op.drop_table('inspection')
    op.drop_table('spot_check_draw')
    op.drop_table('supervision_counter')
    op.drop_table('checklist_item')
    if op.get_bind().dialect.name == "postgresql":
        for name in ("inspectionkind", "inspectionstate", "itemresult", "rectificationstate"):
            op.execute(f"DROP TYPE IF EXISTS {name}")
