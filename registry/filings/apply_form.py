"""The operator's filing form (备案表) on a page: values as typed, camera counts by type, location in any datum.

The page asks for what a person knows (how many 枪机, 半球, 球机; a location as their map app shows it)
and turns it into the API's own schema (FilingCreate / FilingForm), so every rule is the service's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from registry.filings.models import Filing, FilingKind
from registry.operators.models import Datum, Operator, PlaceKind
from registry.routing import Responsibility, responsibility_for, to_wgs84
from registry.ui.forms import FormErrors, parse

ModelT = TypeVar("ModelT", bound=BaseModel)
TEXT_FIELDS = ("system_name", "system_location", "system_in_use_date", "acceptance_date", "change_date",
               "retention_days", "network_digit", "agent_name", "agent_id_number", "place_kind")
# Camera counts by type, as the 备案表 lists them ("枪机×40，半球×6").
TYPES = (("fixed", "枪机"), ("dome", "半球"), ("ptz", "球机"), ("other", "其他"))
_COUNT = re.compile(r"(枪机|半球|球机|其他)\s*[×xX*]\s*(\d+)")
# Where each schema field's error is shown on the page.
SHOWN_AT = {"camera_count_declared": "count_fixed", "camera_types_declared": "count_fixed", "site_lon": "site_lon",
            "site_lat": "site_lon"}
FIELD_NAMES = {*TEXT_FIELDS, "site_lon", "site_lat", "site_datum", "by_agent", *(f"count_{k}" for k, _ in TYPES)}


def values_of(filing: Filing | None, operator: Operator) -> dict[str, Any]:
    """What the form shows first: a stored filing's values, or a new one's sensible defaults."""
    if filing is None:
        return {"system_location": operator.address, "retention_days": "30", "network_digit": "8",
                "site_lon": f"{operator.lon:.6f}", "site_lat": f"{operator.lat:.6f}", "site_datum": "wgs84",
                "place_kind": operator.place_kind.value if operator.place_kind else ""}
    values: dict[str, Any] = {name: getattr(filing, name) for name in TEXT_FIELDS}
    values = {k: ("" if v is None else str(v)) for k, v in values.items()}
    if filing.site_lon is not None and filing.site_lat is not None:
        values.update(site_lon=f"{filing.site_lon:.6f}", site_lat=f"{filing.site_lat:.6f}")
    values["site_datum"] = "wgs84"
    values["by_agent"] = "true" if filing.agent_name else ""
    counts = {label: int(n) for label, n in _COUNT.findall(filing.camera_types_declared)}
    if sum(counts.values()) != filing.camera_count_declared:
        counts = {"其他": filing.camera_count_declared}  # typed freely elsewhere (API, import): keep the total
    for key, label in TYPES:
        values[f"count_{key}"] = str(counts[label]) if counts.get(label) else ""
    return values


def place_of(operator: Operator, values: Mapping[str, Any]) -> str | None:
    """The place kind the routing preview answers for: the one chosen on the form, else the registered one.

    Raises ValueError for a value that is not a place kind."""
    place = values.get("place_kind") or (operator.place_kind.value if operator.place_kind else None)
    return None if place is None else PlaceKind(place).value


def responsibility_at(operator: Operator, values: Mapping[str, Any]) -> Responsibility:
    """Who would handle a filing at the typed location and place (ValueError or DomainError on bad input)."""
    lon, lat = float(values.get("site_lon") or ""), float(values.get("site_lat") or "")
    wgs_lon, wgs_lat = to_wgs84(lon, lat, Datum(values.get("site_datum") or "wgs84").value)
    return responsibility_for(lon=float(wgs_lon), lat=float(wgs_lat), affiliation_code=operator.affiliation_code,
                              system_kind=operator.system_kind.value, place_kind=place_of(operator, values))


def read(form: Mapping[str, Any]) -> dict[str, Any]:
    """The form's own fields, as typed (stripped), for showing again."""
    return {k: str(v).strip() for k, v in form.items() if k in FIELD_NAMES and isinstance(v, str)}


def require_dates(values: Mapping[str, Any], kind: FilingKind, errors: FormErrors) -> None:
    """The date each kind of filing counts its 30 days from, asked for beside its field on the page."""
    if kind == FilingKind.change and not values.get("change_date"):
        errors.add("change_date", "变更备案须填写变更日期（第十条）")
    if kind == FilingKind.new and not values.get("acceptance_date"):
        errors.add("acceptance_date", "首次备案须填写竣工验收合格日期（第七条）")


def _counts(values: Mapping[str, Any], errors: FormErrors) -> tuple[int, str]:
    total, parts = 0, []
    for key, label in TYPES:
        text = values.get(f"count_{key}", "")
        if not text:
            continue
        if not text.isdigit() or int(text) > 100_000:
            errors.add(f"count_{key}", "请填写 0 到 100000 的整数")
            continue
        if int(text):
            total += int(text)
            parts.append(f"{label}×{int(text)}")
    if total == 0 and not errors:
        errors.add("count_fixed", "请至少填写一类摄像机的数量")
    return total, "，".join(parts)


def _site(values: Mapping[str, Any], errors: FormErrors) -> tuple[float | None, float | None]:
    lon_text, lat_text = values.get("site_lon", ""), values.get("site_lat", "")
    if not lon_text and not lat_text:
        return None, None
    try:
        lon, lat = float(lon_text), float(lat_text)
        datum = Datum(values.get("site_datum") or "wgs84")
    except ValueError:
        errors.add("site_lon", "请填写经度和纬度（小数，如 116.417、39.947）")
        return None, None
    if not (73 <= lon <= 136 and 3 <= lat <= 54):
        errors.add("site_lon", "经纬度不在中国境内，请检查是否填反")
        return None, None
    wgs_lon, wgs_lat = to_wgs84(lon, lat, datum.value)
    return round(float(wgs_lon), 7), round(float(wgs_lat), 7)


def to_model(schema: type[ModelT], values: Mapping[str, Any], errors: FormErrors,
             **extra: Any) -> ModelT | None:
    """The schema from the typed values, or None with every error beside its field."""
    total, types = _counts(values, errors)
    lon, lat = _site(values, errors)
    data: dict[str, Any] = {k: values.get(k, "") for k in TEXT_FIELDS}
    if values.get("by_agent") != "true":
        data["agent_name"] = data["agent_id_number"] = ""
    elif not data["agent_name"] or not data["agent_id_number"]:
        for name in ("agent_name", "agent_id_number"):
            if not data[name]:
                errors.add(name, "委托他人办理时必填")
    data.update(camera_count_declared=total or "", camera_types_declared=types, site_lon=lon, site_lat=lat, **extra)
    found = FormErrors()
    model = parse(schema, data, found)
    for name, message in found.fields.items():
        errors.add(SHOWN_AT.get(name, name), message)
    if found.general:
        errors.add(None, found.general)
    return None if errors else model
