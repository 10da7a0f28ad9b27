/*
 * cxbook course player: finding and calling an LMS's SCORM API, shared by the SCORM 1.2
 * and SCORM 2004 tracking adapters (track-scorm12.js, track-scorm2004.js), and the number
 * and time pieces both data models are written with.
 */
(function () {
  "use strict";

  /* The standard bounded search: this window's parents, then the opener's. */
  function searchChain(win, name) {
    for (var tries = 0; win && tries < 500; tries++) {
      try {
        if (win[name]) return win[name];
        if (win.parent === win || !win.parent) return null;
        win = win.parent;
      } catch (e) {
        return null; /* a window of another origin */
      }
    }
    return null;
  }

  function findApi(name) {
    var api = searchChain(window, name);
    try {
      if (!api && window.opener) api = searchChain(window.opener, name);
      if (!api && window.top && window.top.opener) api = searchChain(window.top.opener, name);
    } catch (e) {
      api = null;
    }
    return api;
  }

  /* calls: the version's function names {initialize, finish, get, set, commit, error}. */
  function Connection(api, calls) {
    this.api = api;
    this.calls = calls;
  }
  Connection.prototype.call = function (name, args) {
    var fn = this.api[this.calls[name]];
    return String(fn.apply(this.api, args));
  };
  Connection.prototype.initialize = function () {
    return this.call("initialize", [""]) === "true";
  };
  Connection.prototype.get = function (element) {
    var value = this.call("get", [element]);
    return value === "null" || value === "undefined" ? "" : value;
  };
  Connection.prototype.set = function (element, value) {
    var ok = this.call("set", [element, String(value)]) === "true";
    if (!ok && window.console) {
      var code = this.call("error", []);
      window.console.warn("cxcourse: " + element + " not accepted (error " + code + ")");
    }
    return ok;
  };
  Connection.prototype.commit = function () {
    return this.call("commit", [""]) === "true";
  };
  Connection.prototype.finish = function () {
    return this.call("finish", [""]) === "true";
  };

  /* Find the API (named "API" in 1.2, "API_1484_11" in 2004), initialize it and read the
     launch mode (from modeElement: review and browse, anything else is normal) and the
     number of interactions already recorded. null when there is no LMS or it will not start. */
  function open(name, calls, modeElement) {
    var api = findApi(name);
    if (!api) return null;
    var lms = new Connection(api, calls);
    if (!lms.initialize()) return null;
    var mode = lms.get(modeElement);
    var count = parseInt(lms.get("cmi.interactions._count"), 10);
    return {lms: lms, mode: mode === "review" || mode === "browse" ? mode : "normal",
            interactions: isNaN(count) ? 0 : count};
  }

  function pad(n, width) {
    var s = String(n);
    while (s.length < width) s = "0" + s;
    return s;
  }

  /* A number in plain decimal notation (never an exponent), at most `places` decimals. */
  function decimal(n, places) {
    var s = Number(n).toFixed(places);
    if (s.indexOf(".") >= 0) s = s.replace(/0+$/, "").replace(/\.$/, "");
    return s === "-0" ? "0" : s;
  }

  /* "0.8" -> 80: a number as a percent, or null when it is not one in [low, high]. */
  function number(text, low, high) {
    if (!/^-?[0-9]+(\.[0-9]+)?$/.test(String(text))) return null;
    var n = parseFloat(text);
    return n >= low && n <= high ? n : null;
  }

  window.cxcourse.scorm = {
    open: open,
    pad: pad,
    decimal: decimal,
    number: number
  };
})();
