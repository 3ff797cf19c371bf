// 布防图标注: place cameras on a deployment-map page, drag to move, turn the sector's handle to aim.
// Positions are in the page's frame (the SVG's viewBox), so they do not depend on how large the page is shown.
// Each change is saved at once to the page route named by data-save (CSRF token from <body hx-headers>).
"use strict";
(function () {
  var root = document.querySelector(".placement[data-width]");
  if (!root) { return; }
  var NS = "http://www.w3.org/2000/svg";
  var W = Number(root.dataset.width), H = Number(root.dataset.height);
  var material = root.dataset.material, page = Number(root.dataset.page);
  var editable = root.dataset.editable === "1";
  var svg = root.querySelector("svg.map-overlay");
  var status = root.querySelector(".save-status");
  var panel = root.querySelector(".cam-panel");
  var SIDE = Math.max(W, H), DOT = SIDE * 0.009, REACH = SIDE * 0.07, HANDLE = SIDE * 0.008;
  var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
  var cams = [], byId = {}, selected = null, drag = null;

  function num(text) { return text === "" || text === undefined ? null : Number(text); }

  root.querySelectorAll(".cam-item").forEach(function (el) {
    var d = el.dataset;
    var cam = { id: d.id, name: d.name, form: d.form, material: d.material || null, page: num(d.page),
                x: num(d.x), y: num(d.y), azimuth: num(d.azimuth), hfov: num(d.hfov), el: el };
    cams.push(cam); byId[cam.id] = cam;
  });

  function here(cam) { return cam.material === material && cam.page === page && cam.x !== null; }

  function point(cam, degrees, reach) {
    var a = degrees * Math.PI / 180;
    return [cam.x + reach * Math.sin(a), cam.y - reach * Math.cos(a)];
  }

  function make(tag, attrs, parent) {
    var el = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(el); }
    return el;
  }

  function sector(cam, group) {
    if (cam.azimuth === null) { return; }
    var fov = cam.hfov === null ? 90 : cam.hfov;
    if (fov >= 360) { make("circle", { cx: cam.x, cy: cam.y, r: REACH, "class": "sector" }, group); return; }
    var p0 = point(cam, cam.azimuth - fov / 2, REACH), p1 = point(cam, cam.azimuth + fov / 2, REACH);
    make("path", { "class": "sector", d: "M" + cam.x + " " + cam.y + " L" + p0[0] + " " + p0[1] + " A" + REACH + " " +
      REACH + " 0 " + (fov > 180 ? 1 : 0) + " 1 " + p1[0] + " " + p1[1] + " Z" }, group);
  }

  function draw() {
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var placed = 0;
    cams.forEach(function (cam) {
      if (cam.x !== null) { placed += 1; }
      var state = cam.el.querySelector(".cam-state");
      state.textContent = cam.x === null ? "未标注" : here(cam) ? "本页" : "第 " + cam.page + " 页";
      cam.el.classList.toggle("placed", cam.x !== null);
      cam.el.classList.toggle("selected", cam === selected);
      if (!here(cam)) { return; }
      var group = make("g", { "class": "cam" + (cam === selected ? " selected" : ""), "data-id": cam.id }, svg);
      sector(cam, group);
      make("circle", { "class": "dot", cx: cam.x, cy: cam.y, r: DOT, "data-role": "move" }, group);
      var label = make("text", { x: cam.x + DOT * 1.4, y: cam.y - DOT * 1.4, "class": "label",
                                 "font-size": DOT * 2.2 }, group);
      label.textContent = cam.name;
      if (cam === selected && editable) {
        var tip = point(cam, cam.azimuth === null ? 0 : cam.azimuth, REACH);
        make("line", { x1: cam.x, y1: cam.y, x2: tip[0], y2: tip[1], "class": "aim" }, group);
        make("circle", { "class": "handle", cx: tip[0], cy: tip[1], r: HANDLE, "data-role": "aim" }, group);
      }
    });
    var count = document.getElementById("placed-count");
    if (count) { count.textContent = placed; }
  }

  function say(text, bad) {
    status.textContent = text;
    status.classList.toggle("error", !!bad);
  }

  function select(cam) {
    selected = cam;
    if (panel) {
      panel.hidden = !cam;
      if (cam) {
        panel.querySelector(".cam-title").textContent = cam.name;
        panel.querySelector("#p-azimuth").value = cam.azimuth === null ? "" : Math.round(cam.azimuth);
        panel.querySelector("#p-hfov").value = cam.hfov === null ? "" : Math.round(cam.hfov);
      }
    }
    draw();
  }

  function save(cam) {
    var body = new URLSearchParams();
    if (cam.x !== null) {
      body.set("map_material_id", cam.material); body.set("map_page", cam.page);
      body.set("map_x", cam.x.toFixed(1)); body.set("map_y", cam.y.toFixed(1));
    }
    if (cam.azimuth !== null) { body.set("azimuth", cam.azimuth.toFixed(1)); }
    if (cam.hfov !== null) { body.set("hfov", cam.hfov.toFixed(1)); }
    say("正在保存“" + cam.name + "”…");
    var h = { "Content-Type": "application/x-www-form-urlencoded" };
    Object.keys(headers).forEach(function (k) { h[k] = headers[k]; });
    return fetch(root.dataset.save.replace("{id}", cam.id), { method: "POST", headers: h, body: body,
                                                              credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
      .then(function (result) {
        if (!result[0]) { say("未保存：" + result[1].error.message, true); return; }
        say("已保存“" + cam.name + "”");
        root.dispatchEvent(new CustomEvent("camreg:saved", { detail: result[1].camera }));
      })
      .catch(function () { say("未保存：网络中断，请稍后重试", true); });
  }

  function framePoint(event) {
    var p = svg.createSVGPoint();
    p.x = event.clientX; p.y = event.clientY;
    var f = p.matrixTransform(svg.getScreenCTM().inverse());
    return [Math.min(W, Math.max(0, f.x)), Math.min(H, Math.max(0, f.y))];
  }

  root.querySelectorAll(".cam-item").forEach(function (el) {
    el.addEventListener("click", function () {
      var cam = byId[el.dataset.id];
      if (el.dataset.href && !here(cam)) { window.location.href = el.dataset.href; return; }
      select(cam);
    });
  });

  if (!editable) { draw(); return; }

  svg.addEventListener("pointerdown", function (event) {
    var role = event.target.getAttribute("data-role");
    var group = event.target.closest("g.cam");
    if (!role || !group) { return; }
    event.preventDefault();
    var cam = byId[group.getAttribute("data-id")];
    if (cam !== selected) { select(cam); }
    drag = { cam: cam, role: role, moved: false };
    svg.setPointerCapture(event.pointerId);
  });

  svg.addEventListener("pointermove", function (event) {
    if (!drag) { return; }
    var f = framePoint(event), cam = drag.cam;
    if (drag.role === "move") { cam.x = f[0]; cam.y = f[1]; }
    else {
      cam.azimuth = (Math.atan2(f[0] - cam.x, cam.y - f[1]) * 180 / Math.PI + 360) % 360;
      if (cam.hfov === null) { cam.hfov = cam.form === "fixed" ? 90 : 360; }
    }
    drag.moved = true;
    draw();
  });

  svg.addEventListener("pointerup", function (event) {
    if (!drag) { return; }
    var done = drag;
    drag = null;
    svg.releasePointerCapture(event.pointerId);
    if (done.moved) { select(done.cam); save(done.cam); }
    svg.dataset.justDragged = "1";
  });

  svg.addEventListener("click", function (event) {
    if (svg.dataset.justDragged) { delete svg.dataset.justDragged; return; }
    if (event.target.closest("g.cam")) { return; }
    if (!selected) { say("请先在右侧选中要标注的摄像机", true); return; }
    var f = framePoint(event), cam = selected;
    cam.material = material; cam.page = page; cam.x = f[0]; cam.y = f[1];
    save(cam);
    var next = cams.filter(function (c) { return c.x === null; })[0];
    select(next || cam);
  });

  function fromPanel() {
    if (!selected) { return; }
    var az = panel.querySelector("#p-azimuth").value, fov = panel.querySelector("#p-hfov").value;
    var azimuth = az === "" ? null : ((Number(az) % 360) + 360) % 360;
    var hfov = fov === "" ? null : Math.min(360, Math.max(1, Number(fov)));
    // A field left after typing fires "change" again: save only what really changed.
    if (azimuth === selected.azimuth && hfov === selected.hfov) { return; }
    selected.azimuth = azimuth; selected.hfov = hfov;
    draw();
    save(selected);
  }
  panel.querySelector("#p-azimuth").addEventListener("change", fromPanel);
  panel.querySelector("#p-hfov").addEventListener("change", fromPanel);
  panel.querySelector("#p-remove").addEventListener("click", function () {
    if (!selected) { return; }
    selected.material = null; selected.page = null; selected.x = null; selected.y = null;
    draw();
    save(selected);
  });

  select(cams.filter(function (c) { return c.x === null; })[0] || null);
})();
