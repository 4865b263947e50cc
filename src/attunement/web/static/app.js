// attunement web app: draws figures from their JSON data blocks, follows the progress of a
// transcription (then goes to "who is who") or an analysis,
// asks before destructive actions. No inline script anywhere (Content-Security-Policy).
"use strict";

function drawPlots() {
  if (typeof Plotly === "undefined") return;
  document.querySelectorAll('script[type="application/json"][data-plot]').forEach(function (block) {
    var target = document.getElementById(block.getAttribute("data-plot"));
    if (!target || target.dataset.drawn) return;
    var fig = JSON.parse(block.textContent);
    Plotly.newPlot(target, fig.data, fig.layout || {}, { displaylogo: false, responsive: true });
    target.dataset.drawn = "1";
  });
}

function followProgress() {
  var box = document.getElementById("progress");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        var bar = document.getElementById("bar");
        var stage = document.getElementById("stage");
        if (bar) bar.value = s.progress;
        if (stage) stage.textContent = s.stage;
        var roles = box.getAttribute("data-roles-url");
        if (s.status === "draft" && roles) window.location.assign(roles);
        else if (s.status === "done" || s.status === "failed" || s.status === "draft") {
          window.location.reload();
        } else window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 700);
}

function confirmForms() {
  document.querySelectorAll("form.js-confirm").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
}

// After the idle time without a key press, click or scroll, the page's clinical content is
// removed from the screen (the server signs the browser out after the same time without requests).
function hideWhenIdle() {
  var minutes = parseFloat(document.body.getAttribute("data-idle-minutes") || "");
  if (!(minutes > 0)) return;
  var timer = null;
  function hide() {
    var main = document.querySelector("main.page");
    if (main) {
      main.textContent = "";
      var p = document.createElement("p");
      p.id = "idle";
      p.textContent = "This page was hidden after " + minutes + " minutes without activity. ";
      var a = document.createElement("a");
      a.href = "/login?next=" + encodeURIComponent(window.location.pathname);
      a.textContent = "Sign in again";
      p.appendChild(a);
      main.appendChild(p);
    }
  }
  function reset() {
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(hide, minutes * 60 * 1000);
  }
  ["keydown", "mousedown", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, reset, { passive: true });
  });
  reset();
}

document.addEventListener("DOMContentLoaded", function () {
  hideWhenIdle();
  drawPlots();
  followProgress();
  confirmForms();
});
window.addEventListener("load", drawPlots);
