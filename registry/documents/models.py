"""Issued documents: one row per issued PDF, whose bytes live in the data directory under their SHA-256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.timeutil import UTCDateTime


class IssuedDocument(SQLModel, table=True):
    """A document as issued: frozen bytes, a verification token and short code, superseded but never rewritten."""

    __tablename__ = "issued_document"
    __table_args__ = (
        # One document of a kind per subject (a filing's receipt, a notice's PDF): issuing twice is refused.
        UniqueConstraint("kind", "subject_type", "subject_id", name="uq_issued_document_subject"),
        Index("ix_issued_document_filing_id_id", "filing_id", "id"),
        Index("ix_issued_document_operator_id_id", "operator_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    number: str = Field(max_length=32, index=True)
    subject_type: str = Field(max_length=40, description="what the document is about: filing, correction_notice, …")
    subject_id: int
    filing_id: int | None = Field(default=None, foreign_key="filing.id")
    operator_id: int = Field(foreign_key="operator.id", description="whose document it is (scope)")
    issuing_unit_code: str = Field(foreign_key="police_unit.code", max_length=8)
    token: str = Field(max_length=64, unique=True, index=True, description="unguessable; in the QR code's /verify URL")
    short_code: str = Field(max_length=16, unique=True, index=True,
                            description="16 Crockford base-32 characters, typeable")
    sha256: str = Field(max_length=64)
    size: int
    pages: int
    issued_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    issued_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    superseded_by_id: int | None = Field(default=None, foreign_key="issued_document.id")
    superseded_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class IssuedDocumentPublic(SQLModel):
    """An issued document's record as the API returns it (the PDF itself is a separate download)."""

    id: int
    kind: str
    number: str
    filing_id: int | None
    issuing_unit_code: str
    short_code: str
    sha256: str
    size: int
    pages: int
    issued_at: UTCDateTime
    superseded_by_id: int | None
    superseded_at: UTCDateTime | None
