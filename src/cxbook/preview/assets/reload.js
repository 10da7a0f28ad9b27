/*
 * cxbook serve: the one script the preview adds to a page (never part of an output).
 *
 * It follows the preview server's state over server-sent events (/_cxbook/events):
 *   {version, current, pages: {address: digest}, problems: [{where, severity, message,
 *    code}], internal}
 * - a page whose digest differs from the one it was served with is reloaded, keeping the
 *   scroll position (the course page keeps its own place through its saved state);
 * - problems are shown over the page, each with its file:line:col; errors open the
 *   overlay, warnings only a line that opens it; the page behind stays the last good one;
 * - on the course page, the preview bar's reader-view and PDF links follow the page shown.
 * Works in XHTML documents (the reader view) as in HTML: DOM methods and textContent
 * only, and no inline style (the course page's Content-Security-Policy forbids it).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !window.EventSource) return;
  var own = script.getAttribute("data-cxbook-page") || "";
  var kind = script.getAttribute("data-cxbook-kind") || "reader";
  var events = script.getAttribute("data-cxbook-events") || "/_cxbook/events";
  var labels = {};
  try {
    labels = JSON.parse(script.getAttribute("data-cxbook-labels") || "{}");
  } catch (e) { labels = {}; }
  var path = location.pathname;
  try { path = decodeURIComponent(location.pathname); } catch (e) { /* as it is */ }
  var scrollKey = "cxbook-preview-scroll:" + path;
  var panel = null;
  var open = false;
  var lastProblems = "";

  function label(name) { return labels[name] || name; }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  /* ------------------------------------------------------------------ reloading */

  function reload() {
    try {
      sessionStorage.setItem(scrollKey, JSON.stringify([window.scrollX, window.scrollY]));
    } catch (e) { /* storage refused: reload at the top */ }
    if (kind === "course" && location.hash) {
      /* the course page returns to the page it shows (its saved state), not the link's */
      history.replaceState(null, "", location.pathname + location.search);
    }
    location.reload();
  }

  function restoreScroll() {
    var saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(scrollKey) || "null");
      sessionStorage.removeItem(scrollKey);
    } catch (e) { saved = null; }
    if (saved && saved.length === 2) window.scrollTo(saved[0], saved[1]);
  }

  /* ------------------------------------------------------------------ problems */

  function render(state) {
    var problems = state.problems || [];
    var errors = 0;
    for (var i = 0; i < problems.length; i++) if (problems[i].severity === "error") errors++;
    var key = JSON.stringify([problems, state.internal || "", state.current]);
    if (!problems.length && !state.internal) {
      if (panel) { panel.parentNode.removeChild(panel); panel = null; }
      lastProblems = key;
      return;
    }
    if (key === lastProblems && panel) return;
    lastProblems = key;
    if (panel) panel.parentNode.removeChild(panel);
    panel = element("section", "cxbook-preview-problems");
    panel.setAttribute("role", errors || state.internal ? "alert" : "status");
    panel.setAttribute("data-cxbook-errors", String(errors));
    var head = element("div", "cxbook-preview-problems-head");
    var title = state.internal || (errors && !state.current) ? label("errors")
      : errors ? label("errors-current") : label("warnings") + " (" + problems.length + ")";
    head.appendChild(element("strong", "", title));
    var toggle = element("button", "cxbook-preview-toggle");
    toggle.setAttribute("type", "button");
    head.appendChild(toggle);
    panel.appendChild(head);
    var list = element("ul", "cxbook-preview-list");
    if (state.internal) list.appendChild(element("li", "cxbook-preview-internal", state.internal));
    for (var p = 0; p < problems.length; p++) {
      var item = element("li", "cxbook-preview-" + problems[p].severity);
      item.appendChild(element("code", "cxbook-preview-where", problems[p].where));
      item.appendChild(document.createTextNode(": " + problems[p].severity + ": " +
                                               problems[p].message + " "));
      item.appendChild(element("code", "cxbook-preview-code", "[" + problems[p].code + "]"));
      list.appendChild(item);
    }
    panel.appendChild(list);
    open = errors > 0 || !!state.internal;
    function show() {
      list.hidden = !open;
      toggle.textContent = open ? label("hide") : label("show");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    toggle.addEventListener("click", function () { open = !open; show(); });
    show();
    document.body.appendChild(panel);
  }

  function stopped() {
    if (document.querySelector(".cxbook-preview-stopped")) return;
    document.body.appendChild(element("p", "cxbook-preview-stopped", label("stopped")));
  }

  /* ------------------------------------------------------------------ course page */

  function followCoursePage() {
    var reader = document.querySelector("[data-cxbook-link='reader']");
    var pdf = document.querySelector("[data-cxbook-link='pdf']");
    if (!reader || !pdf) return;
    function update() {
      var shown = document.querySelector(".cx-page:not([hidden])");
      var slug = shown ? shown.getAttribute("data-cx-chapter") || "" : "";
      reader.setAttribute("href", slug ? "/book/ch-" + slug + ".xhtml" : "/book/nav.xhtml");
      pdf.hidden = !slug;
      if (slug) pdf.setAttribute("href", "/pdf/ch-" + slug + ".pdf");
    }
    var pages = document.querySelectorAll(".cx-page");
    if (window.MutationObserver) {
      var observer = new MutationObserver(update);
      for (var i = 0; i < pages.length; i++) {
        observer.observe(pages[i], {attributes: true, attributeFilter: ["hidden"]});
      }
    }
    update();
  }

  /* ------------------------------------------------------------------ start */

  function start() {
    if (kind === "course") followCoursePage();
    var source = new EventSource(events);
    source.onmessage = function (event) {
      var state;
      try { state = JSON.parse(event.data); } catch (e) { return; }
      /* which state the page follows (for tools that drive the preview) */
      document.documentElement.setAttribute("data-cxbook-preview", String(state.version));
      var gone = document.querySelector(".cxbook-preview-stopped");
      if (gone) gone.parentNode.removeChild(gone);
      var now = Object.prototype.hasOwnProperty.call(state.pages, path) ? state.pages[path] : "";
      /* the page the server shows before there is a preview waits for one */
      var stale = kind === "waiting" ? Object.keys(state.pages).length > 0 : now !== own;
      if (stale) {
        source.close();
        reload();
        return;
      }
      render(state);
    };
    source.onerror = function () {
      if (source.readyState !== EventSource.OPEN) stopped();
    };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  window.addEventListener("load", restoreScroll);
})();
