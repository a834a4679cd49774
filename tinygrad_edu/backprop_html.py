"""The page of ``viz.backprop(J)``: the HTML around the frames' inline SVG, its CSS and its
small script (no external file, font or URL, so one saved file works offline).

``page(frames, captions, ...)`` gives the fragment Jupyter shows or, with ``standalone``, the
whole page ``view.save`` writes. The script finds its own view (``document.currentScript``),
shows one frame at a time (◀ previous / next ▶, the slider, the arrow keys), keeps the lit
box of the frame in view by scrolling only the picture, zooms (− / fit / +) and, in a saved
page, opens at the step in its address: ``backprop.html#step=7`` (``&click=next`` then
clicks "next", which the browser test uses).
"""

from __future__ import annotations

import hashlib
import html
import itertools
import re

__all__ = ["page"]

_instances = itertools.count()  # one HTML id per view shown in a notebook


def page(frames: list[str], captions: list[str], root: str, standalone: bool) -> str:
    """The HTML of the frames (Graphviz SVG texts) with their captions; ``root``: the cost's
    name; ``standalone``: a whole page (else a fragment for Jupyter)."""
    digest = hashlib.sha1("".join(frames).encode("utf-8")).hexdigest()[:10]
    uid = "tgbp" if standalone else f"tgbp{digest}_{next(_instances)}"
    body = []
    for k, (svg, caption) in enumerate(zip(frames, captions)):
        title = html.escape(caption.splitlines()[0])
        body.append(f'<div class="tgbp-frame" data-step="{k}" title="{title}"'
                    f'{"" if k == 0 else " hidden"}>'
                    f'<pre class="tgbp-caption">{html.escape(caption)}</pre>'
                    f'<div class="tgbp-picture">{_inline_svg(svg, f"s{k}-")}</div></div>')
    fragment = _TEMPLATE.format(
        uid=uid, last=len(frames) - 1, standalone=int(standalone), frames="\n".join(body),
        root=html.escape(root), css=_CSS.replace("ROOT", f"#{uid}"), script=_SCRIPT)
    if not standalone:
        return fragment
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>backprop of {html.escape(root)}, step by step</title>"
            "</head><body style=\"font-family: Helvetica, Arial, sans-serif\">\n"
            f"{fragment}\n</body></html>\n")


def _inline_svg(svg: str, prefix: str) -> str:
    """Graphviz's SVG file made an inline element: no XML prolog, comments or namespace
    URLs (HTML knows <svg>), ids prefixed so that the frames' ids stay unique."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    svg = svg.replace("xlink:href", "href")
    return re.sub(r'\sid="', f' id="{prefix}', svg)


_CSS = """
ROOT { font-family: Helvetica, Arial, sans-serif; }
ROOT .tgbp-bar { display: flex; gap: 6px; align-items: center; flex-wrap: wrap;
  margin: 4px 0; }
ROOT .tgbp-bar button { font-size: 14px; padding: 2px 10px; cursor: pointer; }
ROOT .tgbp-bar input[type=range] { flex: 1 1 200px; max-width: 420px; }
ROOT .tgbp-where { font-size: 13px; color: #333; min-width: 7em; }
ROOT .tgbp-caption { color: #d62728; font: 14px/1.35 Helvetica, Arial, sans-serif;
  white-space: pre-wrap; margin: 4px 0 6px 0; }
ROOT .tgbp-picture { overflow: auto; max-height: 75vh; border: 1px solid #ddd; }
ROOT .tgbp-picture svg { display: block; }
ROOT .tgbp-help { font-size: 11px; color: #777; }
"""

_TEMPLATE = """<div id="{uid}" class="tgbp" data-step="0" data-last="{last}" \
data-standalone="{standalone}" style="max-width: 100%">
<style>{css}</style>
<div class="tgbp-bar">
<button type="button" class="tgbp-prev" title="previous step (←)">◀ previous</button>
<input type="range" class="tgbp-slider" min="0" max="{last}" value="0" step="1" \
aria-label="step">
<button type="button" class="tgbp-next" title="next step (→)">next ▶</button>
<span class="tgbp-where">step 0 of {last}</span>
<button type="button" class="tgbp-zoom-out" title="zoom out">−</button>
<button type="button" class="tgbp-zoom-fit" title="fit the width">fit</button>
<button type="button" class="tgbp-zoom-in" title="zoom in">+</button>
</div>
<div class="tgbp-frames">
{frames}
</div>
<div class="tgbp-help">backprop of {root}, one gradient per step: red = this step's tensor, \
op and edges; green = gradients already computed. Keys ← → step, + − zoom.</div>
<script>{script}</script>
</div>"""

_SCRIPT = """
(function () {
  var me = document.currentScript;
  var root = me ? me.parentElement : null;
  if (!root || !root.classList.contains("tgbp")) { return; }
  var frames = root.querySelectorAll(".tgbp-frame");
  var slider = root.querySelector(".tgbp-slider");
  var where = root.querySelector(".tgbp-where");
  var last = frames.length - 1, step = 0, zoom = 1;
  function size() {
    frames.forEach(function (f) {
      var svg = f.querySelector("svg"), vb = svg.viewBox.baseVal;
      svg.style.width = (vb.width * 4 / 3 * zoom) + "px";
      svg.style.height = (vb.height * 4 / 3 * zoom) + "px";
    });
  }
  function show(k) {
    step = Math.max(0, Math.min(last, k));
    frames.forEach(function (f, i) { f.hidden = i !== step; });
    slider.value = step;
    root.setAttribute("data-step", String(step));
    where.textContent = "step " + step + " of " + last;
    var box = frames[step].querySelector(".tgbp-picture");
    var lit = frames[step].querySelector("[id^='s" + step + "-current']");
    if (lit) {  // keep this step's box in view, scrolling only the pictures' box
      var b = box.getBoundingClientRect(), r = lit.getBoundingClientRect();
      if (r.top < b.top || r.bottom > b.bottom) {
        box.scrollTop += r.top - b.top - (b.height - r.height) / 2;
      }
      if (r.left < b.left || r.right > b.right) {
        box.scrollLeft += r.left - b.left - (b.width - r.width) / 2;
      }
    }
  }
  function fit() {
    var widest = 0;
    frames.forEach(function (f) {
      widest = Math.max(widest, f.querySelector("svg").viewBox.baseVal.width * 4 / 3);
    });
    var room = frames[step].querySelector(".tgbp-picture").clientWidth - 4;
    zoom = (room > 0 && widest > room) ? room / widest : 1;
    size();
  }
  root.querySelector(".tgbp-prev").addEventListener("click", function () { show(step - 1); });
  root.querySelector(".tgbp-next").addEventListener("click", function () { show(step + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  root.querySelector(".tgbp-zoom-in").addEventListener("click", function () {
    zoom *= 1.25; size(); });
  root.querySelector(".tgbp-zoom-out").addEventListener("click", function () {
    zoom /= 1.25; size(); });
  root.querySelector(".tgbp-zoom-fit").addEventListener("click", fit);
  root.tabIndex = 0;
  root.addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight") { show(step + 1); e.preventDefault(); }
    if (e.key === "ArrowLeft") { show(step - 1); e.preventDefault(); }
    if (e.key === "+" || e.key === "=") { zoom *= 1.25; size(); }
    if (e.key === "-") { zoom /= 1.25; size(); }
  });
  size();
  if (root.getAttribute("data-standalone") === "1") {
    document.addEventListener("keydown", function (e) {
      if (e.target === document.body) { root.dispatchEvent(new KeyboardEvent("keydown", e)); }
    });
    var hash = new URLSearchParams(window.location.hash.slice(1));
    if (hash.has("step")) { show(parseInt(hash.get("step"), 10) || 0); }
    if (hash.get("click") === "next") { root.querySelector(".tgbp-next").click(); }
    if (hash.get("click") === "previous") { root.querySelector(".tgbp-prev").click(); }
  }
})();
"""
