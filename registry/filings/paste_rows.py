"""Camera rows pasted from Excel into the operator's draft, read with the camera importer's own columns.

Excel copies cells as tab-separated lines. A block may start with a header row (the template's Chinese
headers or English field names, in any order); without one, the columns are PASTE_ORDER. A row without
a position takes the system's location from the filing form, so a list of names and places is enough.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from maps.datums import to_wgs84
from registry.cameras.models import CameraCreate
from registry.errors import InvalidInput
from registry.imports.cameras import CAMERA_FIELDS
from registry.imports.columns import CAMERA_COLUMNS, Kind
from registry.imports.rows import RowErrors, validate_rows
from registry.imports.sheets import read_sheet

MAX_ROWS = 2000  # a longer list goes through the template upload
PASTE_ORDER = ("name", "position_text", "device_type", "form_factor", "manufacturer", "model", "serial", "mac",
               "ip", "lon", "lat")
_ZH = {c.field: c.zh for c in CAMERA_COLUMNS}
PASTE_HEADERS = tuple(_ZH[f] for f in PASTE_ORDER)
_KNOWN = {c.zh for c in CAMERA_COLUMNS} | {c.field for c in CAMERA_COLUMNS}


@dataclass
class Pasted:
    """The cameras read from a pasted block, and one line per row that could not be read."""

    cameras: list[CameraCreate] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _table(text: str) -> list[list[str]]:
    rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text.replace("\r\n", "\n")),
                                                                   delimiter="\t")]
    return [row for row in rows if any(row)]


def parse(text: str, *, site: tuple[float, float] | None) -> Pasted:
    """Read a pasted block; rows without longitude and latitude are placed at `site` (WGS-84) if given."""
    rows = _table(text)
    if not rows:
        return Pasted(problems=["没有可读取的行：请从 Excel 复制摄像机清单后粘贴"])
    has_header = sum(cell.rstrip("*＊") in _KNOWN for cell in rows[0]) >= 2
    header, body = (rows[0], rows[1:]) if has_header else (list(PASTE_HEADERS), rows)
    if len(body) > MAX_ROWS:
        return Pasted(problems=[f"一次最多粘贴 {MAX_ROWS} 行，更多请下载模板填写后上传"])
    fields = [next((c.field for c in CAMERA_COLUMNS if cell.rstrip("*＊") in (c.zh, c.field)), cell)
              for cell in header]
    body = [[*row, *[""] * (len(fields) - len(row))] for row in body]
    if site is not None:
        for name in ("lon", "lat"):
            if name not in fields:
                header, fields = [*header, name], [*fields, name]
                body = [[*row, ""] for row in body]
        ilon, ilat = fields.index("lon"), fields.index("lat")
        for row in body:
            if not row[ilon] and not row[ilat]:
                row[ilon], row[ilat] = f"{site[0]:.7f}", f"{site[1]:.7f}"
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([header, *body])
    try:
        sheet = read_sheet(Kind.cameras, "pasted.csv", buffer.getvalue().encode("utf-8"))
    except InvalidInput as exc:
        missing = (exc.details or {}).get("missing") or []
        what = "：" + "、".join(_ZH.get(name, name) for name in missing) if missing else ""
        hint = "（表头须与模板一致，或不带表头按上面的列顺序粘贴）"
        return Pasted(problems=[exc.message.split(" / ")[0] + what + hint])
    errors = RowErrors(CAMERA_COLUMNS)
    parsed = validate_rows(sheet, CAMERA_COLUMNS, CameraCreate, errors, model_fields=CAMERA_FIELDS)
    result = Pasted(problems=[f"第 {index + 1} 行：" + "；".join(m.split(" / ")[0] for m in cells.values())
                              for index, cells in sorted(errors.by_row.items())])
    for model, values in parsed:
        if model is None:
            continue
        datum = values.get("datum", "wgs84")
        if datum not in ("wgs84", "cgcs2000"):
            lon, lat = to_wgs84(model.lon, model.lat, datum)
            model = model.model_copy(update={"lon": float(lon), "lat": float(lat)})
        result.cameras.append(model)
    return result
