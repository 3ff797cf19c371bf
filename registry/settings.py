"""Runtime settings, read from the environment (prefix CAMREG_)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA_DIR = REPO_ROOT / "sample_data"


class Settings(BaseSettings):
    """Everything an administrator may configure; unsafe values are refused outside demo mode."""

    model_config = SettingsConfigDict(env_prefix="CAMREG_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="where the SQLite file and materials live")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite in data_dir if unset")
    demo: bool = False
    sample_data_dir: Path = SAMPLE_DATA_DIR
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, gt=0, description="any upload; larger bodies are cut off")
    import_max_rows: int = Field(default=200_000, gt=0, description="data rows of one imported sheet")
    import_max_unpacked_bytes: int = Field(default=256 * 1024 * 1024, gt=0,
                                           description="what an imported .xlsx (a zip) may unpack to")
    scan_max_devices: int = Field(default=10_000, gt=0, description="devices in one uploaded scan report")
    token_ttl_hours: int = Field(default=12, gt=0, le=24 * 30)
    tile_url: str | None = Field(default=None, description="intranet tile server URL template")
    scan_allowed_networks: list[str] = Field(default_factory=list)
    filing_deadline_workdays: int = 15
    correction_deadline_workdays: int = 10
    late_filing_days: int = 30
    font_dir: Path = Field(default=Path("/usr/share/fonts/opentype/noto"),
                           description="folder with Noto Serif CJK (Debian fonts-noto-cjk), embedded in documents")
    public_url: str = Field(default="http://127.0.0.1:8000", max_length=200,
                            description="the registry's address on the intranet, printed in documents' QR codes")
    authority_name: str = Field(default="北京市公安局", min_length=2, max_length=50,
                                description="the police authority whose units issue documents")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="reverse proxies whose X-Forwarded-For/-Proto are believed (IPs or networks)")
    cookie_secure: bool | None = Field(
        default=None, description="Secure session cookie: true, false, or unset = when the request came over HTTPS")
    password_min_length: int = Field(default=10, ge=8, le=64)
    signin_free_failures: int = Field(default=3, ge=1, description="failures per account before delays start")
    signin_lock_failures: int = Field(default=10, ge=2, description="failures per account that lock it")
    signin_address_free_failures: int = Field(default=20, ge=1, description="failures per client address before delays")
    signin_address_lock_failures: int = Field(default=100, ge=2, description="failures per client address that lock it")
    signin_lock_minutes: int = Field(default=15, ge=1, le=24 * 60)
    signin_max_delay_seconds: int = Field(default=60, ge=1)
    audit_key_file: Path | None = Field(default=None, description="HMAC key for audit checkpoints (data_dir/audit.key)")
    audit_checkpoint_every: int = Field(default=1000, ge=1, description="write a checkpoint every N audit events")

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("CAMREG_DATABASE_URL must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_list(cls, value: object) -> object:
        # From the environment: a comma-separated list (or JSON, like the other list settings).
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        for text in value:
            try:
                ipaddress.ip_network(text, strict=False)
            except ValueError as exc:
                raise ValueError(f"CAMREG_TRUSTED_PROXIES: {text!r} is not an IP address or network") from exc
        return value

    @field_validator("scan_allowed_networks")
    @classmethod
    def _narrow_networks(cls, value: list[str]) -> list[str]:
        # A site scan must never be allowed to sweep the police intranet at large.
        for text in value:
            try:
                net = ipaddress.ip_network(text, strict=False)
            except ValueError as exc:
                raise ValueError(f"CAMREG_SCAN_ALLOWED_NETWORKS: {text!r} is not a network ({exc})") from exc
            if net.prefixlen < (16 if net.version == 4 else 48):
                raise ValueError(f"CAMREG_SCAN_ALLOWED_NETWORKS: {text} is wider than a /16; list site networks")
        return value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("CAMREG_PUBLIC_URL must start with http:// or https://")
        return value.rstrip("/")

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{(self.data_dir / 'camreg.sqlite3').resolve()}"

    @property
    def materials_dir(self) -> Path:
        """Uploaded materials, stored under their SHA-256."""
        return self.data_dir / "materials"

    @property
    def documents_dir(self) -> Path:
        """Issued documents (PDF), stored once under their SHA-256."""
        return self.data_dir / "documents"

    @property
    def audit_key_path(self) -> Path:
        """The HMAC key that signs audit checkpoints (kept outside the database)."""
        return self.audit_key_file or self.data_dir / "audit.key"

    @property
    def audit_checkpoint_path(self) -> Path:
        """The signed record of the audit chain's head, outside the database."""
        return self.data_dir / "audit-checkpoint.json"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own)."""
    return Settings()
