"""Every table, imported in one place so metadata and migrations see them all."""

from registry.audit.models import AuditEvent, AuditHead
from registry.auth.models import ApiToken, SignInThrottle, User
from registry.calendars import CalendarYear
from registry.cameras.models import Camera
from registry.checks.models import ProhibitedTerm, StaffMember, TrainingRecord
from registry.documents.models import IssuedDocument
from registry.filings.models import CorrectionNotice, Filing, FilingHandover, Material, Verification
from registry.footage.models import FootageAccess
from registry.inspections.models import (
    ChecklistItem,
    Inspection,
    InspectionItem,
    InspectionPhoto,
    Rectification,
    SpotCheckDraw,
    SpotCheckFinding,
    SupervisionCounter,
)
from registry.meta import RegistryMeta
from registry.numbering.models import CameraSerialCounter, NumberCounter
from registry.operators.models import Operator
from registry.penalties.models import PenaltyCase, PenaltyEvidence, PenaltyOfficer, PenaltyStep
from registry.scans.models import Scan
from registry.units.models import PoliceUnit

__all__ = [
    "ApiToken", "AuditEvent", "AuditHead", "CalendarYear", "Camera", "CameraSerialCounter", "ChecklistItem",
    "CorrectionNotice", "Filing", "FilingHandover", "FootageAccess", "Inspection", "InspectionItem",
    "InspectionPhoto", "IssuedDocument", "Material", "NumberCounter", "Operator", "PenaltyCase", "PenaltyEvidence",
    "PenaltyOfficer", "PenaltyStep", "PoliceUnit", "ProhibitedTerm", "Rectification", "RegistryMeta", "Scan",
    "SignInThrottle", "SpotCheckDraw", "SpotCheckFinding", "StaffMember", "SupervisionCounter", "TrainingRecord",
    "User", "Verification",
]
