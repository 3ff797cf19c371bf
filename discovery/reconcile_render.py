"""Readable renderings of a reconciliation: a self-contained HTML page (Chinese first) and a CSV."""

from __future__ import annotations

import csv
import io
from html import escape

from discovery.reconcile import Entry, Outcome, Reconciliation

LABELS = {
    Outcome.MATCHED: ("已匹配", "matched"),
    Outcome.CHANGED: ("有变化", "changed"),
    Outcome.MISSING: ("未发现", "missing (filed, not seen)"),
    Outcome.UNFILED: ("未备案", "unfiled (seen, not filed)"),
    Outcome.AMBIGUOUS: ("无法确定", "ambiguous"),
}
ATTRIBUTES = {
    "ip": "IP",
    "mac": "MAC",
    "serial": "序列号 serial",
    "endpoint_uuid": "UUID",
    "manufacturer": "厂商 manufacturer",
    "model": "型号 model",
    "firmware": "固件 firmware",
    "hardware_id": "硬件 ID",
}
CSV_COLUMNS = (
    "outcome",
    "filed_code",
    "filed_name",
    "filed_ip",
    "filed_mac",
    "filed_serial",
    "seen_address",
    "seen_macs",
    "seen_serial",
    "seen_endpoint_uuid",
    "seen_manufacturer",
    "seen_model",
    "seen_firmware",
    "seen_status",
    "score",
    "matched_on",
    "differences",
    "candidates",
    "note",
)
_CSS = """body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:1.5em}th,td{border:1px solid #ccc;padding:4px 6px;
font-size:13px;text-align:left;vertical-align:top}th{background:#f0f0f0}.counts span{display:inline-block;
margin-right:1.2em;padding:4px 10px;border-radius:4px;background:#eee}.changed{background:#fff6dd}
.missing{background:#fde2e2}.unfiled{background:#e2ecfd}.ambiguous{background:#f1e2fd}.matched{background:#e6f6e6}
del{color:#a00}ins{color:#070;text-decoration:none}"""


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas: device-supplied text must not run in Excel."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _row(e: Entry) -> dict[str, str]:
    f, d = e.filed, e.device
    return {
        "outcome": e.outcome.value,
        "filed_code": f.code if f else "",
        "filed_name": f.name if f else "",
        "filed_ip": f.ip if f else "",
        "filed_mac": f.mac if f else "",
        "filed_serial": f.serial if f else "",
        "seen_address": d.address if d else "",
        "seen_macs": " ".join(d.macs) if d else "",
        "seen_serial": d.serial if d else "",
        "seen_endpoint_uuid": d.endpoint_uuid if d else "",
        "seen_manufacturer": d.manufacturer if d else "",
        "seen_model": d.model if d else "",
        "seen_firmware": d.firmware if d else "",
        "seen_status": d.status.value if d else "",
        "score": f"{e.score:g}" if e.score else "",
        "matched_on": " ".join(e.matched_on),
        "differences": "; ".join(f"{x.attribute}: {x.filed} → {x.seen}" for x in e.differences),
        "candidates": "; ".join(f"{c.address} ({c.score:g})" for c in e.candidates),
        "note": e.note,
    }


def render_csv(result: Reconciliation) -> str:
    """CSV text, one row per entry (write it with encoding 'utf-8-sig' so Excel reads the Chinese)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for e in result.entries:
        writer.writerow({k: _cell(v) for k, v in _row(e).items()})
    return buf.getvalue()


def _detail(e: Entry) -> str:
    if e.differences:
        return "<br>".join(
            f"{escape(ATTRIBUTES.get(x.attribute, x.attribute))}: <del>{escape(x.filed)}</del> → "
            f"<ins>{escape(x.seen)}</ins>"
            for x in e.differences
        )
    if e.candidates:
        return "候选 candidates: " + ", ".join(
            f"{escape(c.address)} ({c.score:g}; {escape(' '.join(c.keys))})" for c in e.candidates
        )
    return escape(e.note)


def render_html(
    result: Reconciliation, *, title: str = "核查比对报告 Inspection reconciliation", subtitle: str = ""
) -> str:
    """A self-contained HTML page (no scripts, no external resources) for printing or archiving."""
    counts = result.counts()
    parts = [
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_CSS}</style></head><body><h1>{escape(title)}</h1>"
    ]
    if subtitle:
        parts.append(f"<p>{escape(subtitle)}</p>")
    parts.append(
        '<p class="counts">'
        + "".join(
            f'<span class="{o.value}">{LABELS[o][0]} {LABELS[o][1]}: <b>{counts[o.value]}</b></span>' for o in Outcome
        )
        + "</p>"
    )
    for outcome in (Outcome.CHANGED, Outcome.MISSING, Outcome.UNFILED, Outcome.AMBIGUOUS, Outcome.MATCHED):
        entries = result.by_outcome(outcome)
        if not entries:
            continue
        parts.append(
            f"<h2>{LABELS[outcome][0]} {escape(LABELS[outcome][1])} ({len(entries)})</h2><table><tr>"
            "<th>编码 code</th><th>名称 name</th><th>备案 IP / MAC / 序列号</th>"
            "<th>发现 address / MAC / 序列号</th><th>厂商 型号 固件</th><th>说明 details</th></tr>"
        )
        for e in entries:
            r = _row(e)
            parts.append(
                f'<tr class="{outcome.value}"><td>{escape(r["filed_code"])}</td><td>{escape(r["filed_name"])}</td>'
                f"<td>{escape(r['filed_ip'])}<br>{escape(r['filed_mac'])}<br>{escape(r['filed_serial'])}</td>"
                f"<td>{escape(r['seen_address'])}<br>{escape(r['seen_macs'])}<br>{escape(r['seen_serial'])}</td>"
                f"<td>{escape(r['seen_manufacturer'])} {escape(r['seen_model'])}<br>{escape(r['seen_firmware'])}"
                f"</td><td>{_detail(e)}</td></tr>"
            )
        parts.append("</table>")
    parts.extend(_retention_html(result))
    parts.append("</body></html>")
    return "\n".join(parts)


def _retention_html(result: Reconciliation) -> list[str]:
    """The footage each device holds (799号令 第十七条), flagged devices first."""
    if not result.retention:
        return []
    flagged = sum(1 for r in result.retention if r.flagged)
    out = [f"<h2>录像保存天数 Retention held on site ({flagged} 项不符 flagged)</h2><table><tr>"
           "<th>地址 address</th><th>名称 name</th><th>存储天数 days held</th><th>申报 declared</th>"
           "<th>说明 details</th></tr>"]
    for r in result.retention:
        held = "—" if r.days_held is None else f"{r.days_held:g}"
        declared = "—" if r.declared_days is None else str(r.declared_days)
        cls = ' class="changed"' if r.flagged else ""
        out.append(f"<tr{cls}><td>{escape(r.address)}</td><td>{escape(r.name)}</td><td>{held}</td>"
                   f"<td>{declared}</td><td>{escape(r.message)}</td></tr>")
    out.append("</table>")
    return out
