"""Simple synthetic drawings for the sample city: floor plans, site plans and location diagrams (Pillow).

Every drawing is made from a seeded ``random.Random`` and written without metadata, so the same seed
gives the same PNG bytes. Labels are ASCII (the default font has no CJK glyphs). Besides the image each
plan returns its *anchors*: the places a camera can sensibly hang (corridors, lobbies, entrances, gates,
car parks, perimeter corners) — never inside a toilet or a guest room (799号令 第八条).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WHITE, BLACK, GREY, LIGHT, ROAD, GREEN = 255, 0, 110, 225, 190, 200
SIZES = ((1200, 800), (1000, 700), (1400, 900), (1100, 1100), (900, 650), (1300, 760))


@dataclass(frozen=True)
class Anchor:
    """A place on a plan where a camera may be installed, with its position text."""

    x: float
    y: float
    zone: str  # entrance | lobby | corridor | stair | room | gate | road | parking | perimeter | field
    label: str
    indoor: bool
    public: bool


@dataclass
class Plan:
    """One drawing: its file name, kind, pixel size, scale and camera anchors."""

    name: str
    kind: str  # floor | site | location
    width: int
    height: int
    metres_per_px: float
    image: Image.Image
    anchors: list[Anchor] = field(default_factory=list)

    def save(self, directory: Path) -> Path:
        """Write the PNG (no metadata, fixed compression) and return its path."""
        path = directory / f"{self.name}.png"
        self.image.save(path, format="PNG", optimize=True)
        return path


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _north_arrow(draw: ImageDraw.ImageDraw, x: int, y: int) -> None:
    draw.polygon([(x, y - 22), (x - 9, y + 6), (x, y), (x + 9, y + 6)], fill=BLACK)
    draw.text((x - 5, y + 8), "N", fill=BLACK, font=_font(14))


def _title(draw: ImageDraw.ImageDraw, width: int, height: int, title: str, metres_per_px: float | None) -> None:
    """Title block, scale bar (20 m or 100 m, if drawn to scale) and north arrow."""
    draw.text((16, height - 26), title, fill=BLACK, font=_font(15))
    _north_arrow(draw, width - 26, 34)
    if metres_per_px is None:
        return
    bar_m = 20 if metres_per_px <= 0.2 else 100
    bar_px = int(bar_m / metres_per_px)
    x0, y0 = width - bar_px - 60, height - 18
    draw.rectangle([x0, y0, x0 + bar_px, y0 + 5], outline=BLACK, fill=BLACK)
    draw.text((x0, y0 - 17), f"{bar_m} m", fill=BLACK, font=_font(12))


def floor_plan(rng: random.Random, name: str, floor: int) -> Plan:
    """A building floor: outer walls, a main corridor, rooms on both sides, lobby, stairs, lifts, toilets."""
    width, height = rng.choice(SIZES)
    mpp = round(rng.uniform(0.08, 0.14), 3)
    image = Image.new("L", (width, height), WHITE)
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = 40, 60, width - 40, height - 50
    draw.rectangle([left, top, right, bottom], outline=BLACK, width=5)
    corridor_h = rng.randint(60, 90)
    cy0 = rng.randint(top + (bottom - top) // 3, top + (bottom - top) // 2)
    cy1 = cy0 + corridor_h
    draw.rectangle([left + 3, cy0, right - 3, cy1], fill=LIGHT)
    draw.line([left, cy0, right, cy0], fill=BLACK, width=3)
    draw.line([left, cy1, right, cy1], fill=BLACK, width=3)
    anchors: list[Anchor] = []
    lobby_w = rng.randint(160, 240)
    lobby_x = rng.randint(left + 200, right - 200 - lobby_w)
    label = f"{floor}F"
    hall = "LOBBY" if floor == 1 else "LIFT HALL"
    draw.rectangle([lobby_x, cy1 - 2, lobby_x + lobby_w, bottom - 3], fill=LIGHT)
    draw.text((lobby_x + 12, cy1 + 20), hall, fill=BLACK, font=_font(16))
    zone_zh = "大堂" if floor == 1 else "电梯厅"
    anchors.append(Anchor(lobby_x + 20, cy1 + 60, "lobby", f"{floor}层{zone_zh}西侧", True, True))
    anchors.append(Anchor(lobby_x + lobby_w - 20, cy1 + 60, "lobby", f"{floor}层{zone_zh}东侧", True, True))
    if floor == 1:
        door_x = lobby_x + lobby_w // 2
        draw.line([door_x - 40, bottom, door_x + 40, bottom], fill=WHITE, width=7)
        draw.text((door_x - 38, bottom - 22), "MAIN ENTRANCE", fill=BLACK, font=_font(12))
        anchors.append(Anchor(door_x, bottom - 12, "entrance", "一层正门出入口", True, True))
        anchors.append(Anchor(door_x, bottom - 45, "entrance", "一层正门内侧", True, True))
        anchors.append(Anchor(right - 14, (cy0 + cy1) / 2, "entrance", "一层东侧安全出口", True, True))
    number = floor * 100 + 1
    for side_top, side_bottom in ((top, cy0), (cy1, bottom)):
        x = left
        while x < right - 60:
            w = rng.randint(90, 200)
            x1 = min(x + w, right)
            if side_top == cy1 and x1 > lobby_x and x < lobby_x + lobby_w:
                x = lobby_x + lobby_w
                continue
            draw.rectangle([x, side_top, x1, side_bottom], outline=BLACK, width=2)
            door_y = side_bottom if side_top == top else side_top
            draw.line([x + 12, door_y, x + 40, door_y], fill=WHITE, width=4)
            kind = rng.choices(["ROOM", "WC", "STAIR", "LIFT", "STORE", "OFFICE"], [10, 1, 1, 1, 1, 2])[0]
            text = f"{number}" if kind == "ROOM" else kind
            draw.text((x + 8, side_top + 8), text, fill=BLACK, font=_font(13))
            if kind == "STAIR":
                for k in range(6):
                    yy = side_top + 26 + k * 8
                    if yy < side_bottom - 4:
                        draw.line([x + 6, yy, x1 - 6, yy], fill=GREY, width=1)
                anchors.append(Anchor(x + 26, door_y + (12 if side_top == top else -12), "stair",
                                      f"{floor}层楼梯口", True, True))
            elif kind == "OFFICE" and rng.random() < 0.5:
                anchors.append(Anchor((x + x1) / 2, (side_top + side_bottom) / 2, "room",
                                      f"{floor}层{number}办公室", True, False))
            number += 1
            x = x1
    step = rng.randint(160, 240)
    for k, cx in enumerate(range(left + 60, right - 40, step)):
        side = "东" if cx > (left + right) / 2 else "西"
        anchors.append(Anchor(cx, (cy0 + cy1) / 2, "corridor", f"{floor}层走廊{side}段{k + 1}号位", True, True))
    _title(draw, width, height, f"{name}  FLOOR {label}  DEPLOYMENT MAP  1 px = {mpp} m", mpp)
    return Plan(name, "floor", width, height, mpp, image, anchors)


def site_plan(rng: random.Random, name: str) -> Plan:
    """A compound: fence, gates, internal roads, numbered buildings, a car park and maybe a sports field."""
    width, height = rng.choice(SIZES)
    mpp = round(rng.uniform(0.3, 0.6), 2)
    image = Image.new("L", (width, height), WHITE)
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = 30, 50, width - 30, height - 45
    for x in range(left, right, 16):
        draw.line([x, top, min(x + 9, right), top], fill=BLACK, width=3)
        draw.line([x, bottom, min(x + 9, right), bottom], fill=BLACK, width=3)
    for y in range(top, bottom, 16):
        draw.line([left, y, left, min(y + 9, bottom)], fill=BLACK, width=3)
        draw.line([right, y, right, min(y + 9, bottom)], fill=BLACK, width=3)
    anchors = [Anchor(left + 8, top + 8, "perimeter", "周界西北角", False, True),
               Anchor(right - 8, top + 8, "perimeter", "周界东北角", False, True),
               Anchor(left + 8, bottom - 8, "perimeter", "周界西南角", False, True),
               Anchor(right - 8, bottom - 8, "perimeter", "周界东南角", False, True)]
    road_x = rng.randint(left + (right - left) // 3, left + 2 * (right - left) // 3)
    road_y = rng.randint(top + (bottom - top) // 3, top + 2 * (bottom - top) // 3)
    draw.rectangle([road_x - 14, top, road_x + 14, bottom], fill=ROAD)
    draw.rectangle([left, road_y - 14, right, road_y + 14], fill=ROAD)
    anchors.append(Anchor(road_x + 20, road_y + 20, "road", "园区主干道交叉口", False, True))
    gates = [("SOUTH GATE", road_x, bottom, "南门"), ("WEST GATE", left, road_y, "西门")]
    if rng.random() < 0.5:
        gates.append(("NORTH GATE", road_x, top, "北门"))
    for text, gx, gy, zh in gates:
        draw.rectangle([gx - 22, gy - 6, gx + 22, gy + 6], fill=WHITE, outline=BLACK)
        draw.text((max(2, gx - 30), gy - 22 if gy == bottom else gy + 8), text, fill=BLACK, font=_font(12))
        inward_x = gx + (24 if gx == left else 0)
        inward_y = gy + (-24 if gy == bottom else 24 if gy == top else 0)
        anchors.append(Anchor(inward_x, inward_y, "gate", f"{zh}出入口", False, True))
        anchors.append(Anchor(inward_x + 18, inward_y, "gate", f"{zh}岗亭", False, True))
    quadrants = [(left, top, road_x - 14, road_y - 14), (road_x + 14, top, right, road_y - 14),
                 (left, road_y + 14, road_x - 14, bottom), (road_x + 14, road_y + 14, right, bottom)]
    building = 1
    for qi, (qx0, qy0, qx1, qy1) in enumerate(quadrants):
        use = rng.choices(["buildings", "parking", "field"], [6, 2, 1 if qi == 0 else 0])[0]
        if use == "parking":
            draw.rectangle([qx0 + 20, qy0 + 20, qx1 - 20, qy1 - 20], outline=GREY, width=2)
            for x in range(qx0 + 30, qx1 - 30, 22):
                draw.line([x, qy0 + 24, x, qy0 + 54], fill=GREY)
            draw.text((qx0 + 30, qy0 + 62), "P  PARKING", fill=BLACK, font=_font(16))
            anchors.append(Anchor((qx0 + qx1) / 2, qy0 + 22, "parking", "停车场入口", False, True))
            anchors.append(Anchor(qx1 - 28, qy1 - 28, "parking", "停车场东南角", False, True))
            continue
        if use == "field":
            draw.ellipse([qx0 + 25, qy0 + 25, qx1 - 25, qy1 - 25], outline=BLACK, fill=GREEN, width=3)
            draw.text(((qx0 + qx1) // 2 - 40, (qy0 + qy1) // 2 - 8), "SPORTS FIELD", fill=BLACK, font=_font(13))
            anchors.append(Anchor(qx0 + 22, qy0 + 22, "field", "操场西北角", False, True))
            continue
        cols = max(1, (qx1 - qx0) // 180)
        bw = (qx1 - qx0 - 30 * (cols + 1)) // cols
        for c in range(cols):
            bx0 = qx0 + 30 + c * (bw + 30)
            by0 = qy0 + rng.randint(20, 40)
            by1 = qy1 - rng.randint(20, 40)
            if by1 - by0 < 40 or bw < 40:
                continue
            draw.rectangle([bx0, by0, bx0 + bw, by1], outline=BLACK, fill=LIGHT, width=3)
            draw.text((bx0 + 8, by0 + 8), f"B{building}", fill=BLACK, font=_font(16))
            anchors.append(Anchor(bx0 + bw / 2, by1 + 10, "entrance", f"{building}号楼入口", False, True))
            building += 1
    _title(draw, width, height, f"{name}  SITE PLAN  DEPLOYMENT MAP  1 px = {mpp} m", mpp)
    return Plan(name, "site", width, height, mpp, image, anchors)


STREETS = ("XINGFU RD", "HEPING ST", "CHANGAN AVE", "GUANGMING RD", "MINZU RD", "JIANSHE ST", "DONGSI RD",
           "XISI ST", "BEIHUAN RD", "NANHUAN RD", "KEJI AVE", "XUEYUAN RD", "CHAOYANG RD", "FUXING RD")


def location_diagram(rng: random.Random, name: str) -> Plan:
    """单位位置示意图: the site, the streets around it, neighbouring blocks and a north arrow."""
    width, height = 1000, 760
    image = Image.new("L", (width, height), WHITE)
    draw = ImageDraw.Draw(image)
    # The site sits in the middle block, so the two streets each way are kept well apart.
    xs = [rng.randrange(150, 380, 10)]
    xs.append(rng.randrange(xs[0] + 320, width - 140, 10))
    ys = [rng.randrange(130, 300, 10)]
    ys.append(rng.randrange(ys[0] + 260, height - 120, 10))
    names = rng.sample(STREETS, 4)
    for k, x in enumerate(xs):
        draw.rectangle([x - 16, 0, x + 16, height], fill=ROAD)
        draw.text((x - 40, 70 + 30 * k), names[k], fill=BLACK, font=_font(13))
    for k, y in enumerate(ys):
        draw.rectangle([0, y - 16, width, y + 16], fill=ROAD)
        draw.text((40 + 240 * k, y - 8), names[2 + k], fill=BLACK, font=_font(13))
    cells_x = [(0, xs[0] - 16), (xs[0] + 16, xs[1] - 16), (xs[1] + 16, width)]
    cells_y = [(0, ys[0] - 16), (ys[0] + 16, ys[1] - 16), (ys[1] + 16, height)]
    for i, (x0, x1) in enumerate(cells_x):
        for j, (y0, y1) in enumerate(cells_y):
            if x1 - x0 < 60 or y1 - y0 < 60:
                continue
            if (i, j) == (1, 1):
                box_w, box_h = x1 - x0 - 30, y1 - y0 - 30
                hatch = Image.new("L", (box_w, box_h), WHITE)
                hatch_draw = ImageDraw.Draw(hatch)
                for d in range(-box_h, box_w, 16):
                    hatch_draw.line([d, box_h, d + box_h, 0], fill=LIGHT, width=2)
                image.paste(hatch, (x0 + 15, y0 + 15))
                draw.rectangle([x0 + 15, y0 + 15, x1 - 15, y1 - 15], outline=BLACK, width=5)
                draw.text((x0 + 30, (y0 + y1) // 2 - 10), "SITE", fill=BLACK, font=_font(22))
            elif rng.random() < 0.7:
                draw.rectangle([x0 + 20, y0 + 20, x1 - 20, y1 - 20], outline=GREY, width=2)
                draw.text((x0 + 28, y0 + 26), rng.choice(["RESIDENTIAL", "OFFICE", "SHOPS", "SCHOOL", "PARK"]),
                          fill=GREY, font=_font(12))
    _title(draw, width, height, f"{name}  LOCATION DIAGRAM  (not to scale)", None)
    return Plan(name, "location", width, height, 1.0, image, [])
