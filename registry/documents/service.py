"""Issuing documents (render once, store under SHA-256, record, audit), reading them back, verifying them."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from pypdf import PdfReader
from sqlmodel import Session, col, select

from registry import blobs
from registry.actor import Actor
from registry.audit import service as audit
from registry.documents.kinds import DocumentData, DocumentKind, get_kind
from registry.documents.models import IssuedDocument
from registry.documents.render import Verification, render
from registry.errors import Conflict, NotFound, Unavailable
from registry.settings import Settings
from registry.timeutil import as_utc, beijing_today, utcnow
from registry.units.models import PoliceUnit, UnitKind

# Crockford's base 32: no I, L, O or U, so what a person reads off paper they can type back.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SHORT_CODE_LENGTH = 16  # 80 random bits: guessing one of even 10^8 documents takes ~10^16 tries on average
_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_token() -> str:
    """An unguessable URL token (256 random bits)."""
    return secrets.token_urlsafe(32)


def new_short_code() -> str:
    """A short code a person can type: 16 Crockford base-32 characters (80 random bits)."""
    return "".join(secrets.choice(CROCKFORD) for _ in range(SHORT_CODE_LENGTH))


def normalise_short_code(text: str) -> str | None:
    """The stored form of a typed code (case, spaces, dashes and look-alike letters forgiven), or None."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t").translate(_TYPO)
    if len(cleaned) != SHORT_CODE_LENGTH or any(ch not in CROCKFORD for ch in cleaned):
        return None
    return cleaned


def verification_for(settings: Settings, token: str, short_code: str) -> Verification:
    """What the document prints: the /verify URL on this registry's intranet address, and the short code."""
    return Verification(token=token, short_code=short_code, url=f"{settings.public_url}/verify/{token}",
                        lookup_url=f"{settings.public_url}/verify")


def find(session: Session, *, kind: DocumentKind, subject_type: str, subject_id: int,
         lock: bool = False) -> IssuedDocument | None:
    """The document of this kind already issued for this subject, if any."""
    query = select(IssuedDocument).where(IssuedDocument.kind == kind.name, IssuedDocument.subject_type == subject_type,
                                         IssuedDocument.subject_id == subject_id)
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def page_count(pdf: bytes) -> int:
    """How many pages a PDF has (printed on the verify page, so a removed page shows)."""
    return len(PdfReader(io.BytesIO(pdf)).pages)


def issue(session: Session, *, actor: Actor | None, kind: DocumentKind, data: DocumentData, subject_type: str,
          subject_id: int, operator_id: int, filing_id: int | None, number: str, unit_code: str,
          settings: Settings, now: datetime | None = None, supersedes: IssuedDocument | None = None,
          backfill: bool = False) -> IssuedDocument:
    """Render a document once, store its bytes under their SHA-256, record and audit it.

    Called inside the transaction of the workflow step it belongs to: the step and its document commit
    together or not at all (a rolled-back step leaves at most an unreferenced file). Issuing again for the
    same subject returns the document already issued; it is never re-rendered.
    """
    if not kind.issued:
        raise ValueError(f"{kind.name} is rendered on demand, not issued")
    existing = find(session, kind=kind, subject_type=subject_type, subject_id=subject_id)
    if existing is not None:
        return existing
    issued_at = now or utcnow()
    token, short_code = new_token(), new_short_code()
    pdf = render(kind, data, font_dir=settings.font_dir, verification=verification_for(settings, token, short_code))
    digest = blobs.store(settings.documents_dir, pdf)
    document = IssuedDocument(kind=kind.name, number=number, subject_type=subject_type, subject_id=subject_id,
                              filing_id=filing_id, operator_id=operator_id, issuing_unit_code=unit_code, token=token,
                              short_code=short_code, sha256=digest, size=len(pdf), pages=page_count(pdf),
                              issued_at=issued_at, issued_by_id=None if backfill or actor is None else actor.user_id)
    session.add(document)
    session.flush()
    audit.append(session, actor=actor, action="document.issue", object_type="document", object_id=document.id,
                 details={"kind": kind.name, "number": number, "filing_id": filing_id, "sha256": digest,
                          "backfill": backfill})
    if supersedes is not None:
        supersede(session, actor=actor, old=supersedes, new=document, now=issued_at)
    return document


def supersede(session: Session, *, actor: Actor | None, old: IssuedDocument, new: IssuedDocument,
              now: datetime) -> None:
    """Mark an issued document replaced by a newer one (a change filing's receipt); its bytes stay as issued."""
    if old.superseded_by_id is not None:
        raise Conflict(f"文书 {old.number} 已被替代 / document {old.number} was already superseded",
                       details={"superseded_by_id": old.superseded_by_id})
    old.superseded_by_id, old.superseded_at = new.id, now
    session.add(old)
    session.flush()
    audit.append(session, actor=actor, action="document.supersede", object_type="document", object_id=old.id,
                 details={"kind": old.kind, "number": old.number, "superseded_by": new.id,
                          "new_number": new.number})


def read(session: Session, *, actor: Actor, document: IssuedDocument, settings: Settings) -> bytes:
    """The bytes as issued, checked against their SHA-256; every read is audited (第十一条)."""
    data = blobs.read_checked(settings.documents_dir, document.sha256)
    if data is None:
        raise Unavailable(f"文书 {document.number} 的存档文件缺失或已被改动，请从备份恢复 / the stored file of "
                          f"document {document.id} is missing or altered; restore {document.sha256} from backup",
                          details={"sha256": document.sha256})
    audit.append(session, actor=actor, action="document.read", object_type="document", object_id=document.id,
                 details={"kind": document.kind, "number": document.number, "filing_id": document.filing_id})
    return data


@dataclass(frozen=True)
class Verified:
    """What the public verify page may say about a document: nothing personal."""

    kind_title: str
    number: str
    issued_on: date
    issuing_unit: str
    pages: int
    sha256: str
    valid: bool
    superseded_on: date | None
    superseded_by_number: str | None


def unit_title(session: Session, code: str, *, authority: str) -> str:
    """A unit's name as documents print it: 东城分局 → 北京市公安局东城分局; a station under its branch."""
    unit = session.get(PoliceUnit, code)
    if unit is None:
        return code
    name = unit.name.removeprefix("市局")
    if unit.kind == UnitKind.station and unit.parent_code:
        parent = session.get(PoliceUnit, unit.parent_code)
        name = (parent.name if parent else "") + name
    return name if name.startswith(authority) or name.endswith("公安局") else authority + name


def _verified(session: Session, document: IssuedDocument, settings: Settings) -> Verified:
    newer = session.get(IssuedDocument, document.superseded_by_id) if document.superseded_by_id else None
    superseded = as_utc(document.superseded_at) if document.superseded_at else None
    return Verified(kind_title=get_kind(document.kind).title, number=document.number,
                    issued_on=beijing_today(as_utc(document.issued_at)),
                    issuing_unit=unit_title(session, document.issuing_unit_code, authority=settings.authority_name),
                    pages=document.pages, sha256=document.sha256, valid=document.superseded_by_id is None,
                    superseded_on=beijing_today(superseded) if superseded else None,
                    superseded_by_number=newer.number if newer else None)


def verify(session: Session, *, settings: Settings, token: str | None = None,
           short_code: str | None = None) -> tuple[Verified, str]:
    """The public facts of the document with this token or short code, and its token; 404 otherwise."""
    query = select(IssuedDocument)
    if token is not None:
        query = query.where(IssuedDocument.token == token)
    elif short_code is not None and (code := normalise_short_code(short_code)) is not None:
        query = query.where(IssuedDocument.short_code == code)
    else:
        raise NotFound("核验码格式不正确 / not a verification code (16 letters and digits)", field="code")
    document = session.exec(query).first()
    if document is None:
        raise NotFound("未找到该文书：核验码无效，文书可能是伪造的 / no document has this code: it may be forged")
    return _verified(session, document, settings), document.token


def list_for_filing(session: Session, *, filing_id: int) -> list[IssuedDocument]:
    """Every document issued for a filing (its notice, review form and receipt), oldest first."""
    return list(session.exec(select(IssuedDocument).where(IssuedDocument.filing_id == filing_id)
                             .order_by(col(IssuedDocument.id))).all())
