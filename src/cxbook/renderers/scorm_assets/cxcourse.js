/*
 * cxbook course runtime: page navigation, knowledge checks and SCORM 1.2 / 2004 tracking
 * for one SCO page. No framework, no network beyond the package's own data file.
 *
 * Scoring follows src/cxbook/scoring.py exactly, from the rules in cxbook/course-data.json:
 * an item is right when the selected choice ids equal its correct ids (no partial credit,
 * unanswered is wrong); score = floor(100 * right / total + 0.5); pass when score >= mastery;
 * a course without items has no score and passes when completed.
 *
 * Saved state (cmi.suspend_data, or localStorage without an LMS), compact and versioned:
 *   c1.<key>.<page>.<visited>.<answers>
 * key: structure fingerprint; page: base 36; visited: chapter bitset, 5 bits per base-36
 * digit; answers: per quiz item (page order) a fixed-width base-36 number, 0 = not
 * answered, else 1 + bitmask of the selected choices. Trailing zero digits are dropped.
 */
(function () {
  "use strict";

  var DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz";

  /* ------------------------------------------------------------------ scoring */

  function uniqueSorted(list) {
    var seen = {}, out = [];
    for (var i = 0; i < list.length; i++) {
      if (!Object.prototype.hasOwnProperty.call(seen, list[i])) {
        seen[list[i]] = true;
        out.push(String(list[i]));
      }
    }
    return out.sort();
  }

  function itemCorrect(rules, itemId, selected) {
    var wanted = uniqueSorted(rules.items[itemId] || []);
    var got = uniqueSorted(selected || []);
    if (wanted.length !== got.length) return false;
    for (var i = 0; i < wanted.length; i++) if (wanted[i] !== got[i]) return false;
    return true;
  }

  function scorePercent(correct, total) {
    return total === 0 ? null : Math.floor(100 * correct / total + 0.5);
  }

  /* answers: {itemId: [choice ids]}; returns {score, correct, total} */
  function courseScore(rules, answers) {
    var ids = Object.keys(rules.items), right = 0;
    for (var i = 0; i < ids.length; i++) {
      var sel = Object.prototype.hasOwnProperty.call(answers, ids[i]) ? answers[ids[i]] : [];
      if (itemCorrect(rules, ids[i], sel)) right++;
    }
    return {score: scorePercent(right, ids.length), correct: right, total: ids.length};
  }

  function passes(score, mastery) {
    return score === null ? true : score >= mastery;
  }

  /* ---------------------------------------------------------------- encoding */

  function toBase36(n, width) {
    var s = "";
    do {
      s = DIGITS.charAt(n % 36) + s;
      n = Math.floor(n / 36);
    } while (n > 0);
    while (width && s.length < width) s = "0" + s;
    return s;
  }

  function fromBase36(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var d = DIGITS.indexOf(s.charAt(i));
      if (d < 0) return NaN;
      n = n * 36 + d;
    }
    return n;
  }

  function answerWidth(maxChoices) {
    var width = 1, top = 36, need = Math.pow(2, maxChoices) + 1;
    while (top < need) { width++; top *= 36; }
    return width;
  }

  function stripZeros(s) { return s.replace(/0+$/, ""); }

  /* structure: {key, pageCount, chapterCount, items: [{id, choices: [ids]}], width} */
  function encodeState(structure, state) {
    var visited = "";
    for (var c = 0; c < structure.chapterCount; c += 5) {
      var v = 0;
      for (var b = 0; b < 5 && c + b < structure.chapterCount; b++) {
        if (state.visited[c + b]) v += Math.pow(2, b);
      }
      visited += DIGITS.charAt(v);
    }
    var answers = "";
    for (var i = 0; i < structure.items.length; i++) {
      var item = structure.items[i], value = 0;
      if (Object.prototype.hasOwnProperty.call(state.answers, item.id)) {
        var sel = state.answers[item.id], mask = 0;
        for (var k = 0; k < item.choices.length; k++) {
          if (sel.indexOf(item.choices[k]) >= 0) mask += Math.pow(2, k);
        }
        value = mask + 1;
      }
      answers += toBase36(value, structure.width);
    }
    return ["c1", structure.key, toBase36(state.page), stripZeros(visited),
            stripZeros(answers)].join(".");
  }

  function decodeState(structure, text) {
    var parts = String(text || "").split(".");
    if (parts.length !== 5 || parts[0] !== "c1" || parts[1] !== structure.key) return null;
    var page = fromBase36(parts[2]);
    if (isNaN(page) || page >= structure.pageCount) return null;
    var state = {page: page, visited: [], answers: {}};
    for (var c = 0; c < structure.chapterCount; c++) {
      var digit = parts[3].charAt(Math.floor(c / 5));
      var v = digit ? DIGITS.indexOf(digit) : 0;
      if (v < 0) return null;
      state.visited.push(Math.floor(v / Math.pow(2, c % 5)) % 2 === 1);
    }
    var w = structure.width;
    for (var i = 0; i < structure.items.length; i++) {
      var chunk = parts[4].substr(i * w, w);
      while (chunk.length < w) chunk += "0";
      var value = fromBase36(chunk);
      if (isNaN(value)) return null;
      if (value > 0) {
        var mask = value - 1, item = structure.items[i], sel = [];
        for (var k = 0; k < item.choices.length; k++) {
          if (Math.floor(mask / Math.pow(2, k)) % 2 === 1) sel.push(item.choices[k]);
        }
        state.answers[item.id] = sel;
      }
    }
    return state;
  }

  /* ------------------------------------------------------------- time formats */

  function pad(n, width) {
    var s = String(n);
    while (s.length < width) s = "0" + s;
    return s;
  }

  function timespan12(ms) {
    var cs = Math.round(ms / 10);
    var h = Math.min(9999, Math.floor(cs / 360000));
    var m = Math.floor(cs / 6000) % 60, s = Math.floor(cs / 100) % 60, f = cs % 100;
    return pad(h, 4) + ":" + pad(m, 2) + ":" + pad(s, 2) + "." + pad(f, 2);
  }

  function duration2004(ms) {
    var cs = Math.round(ms / 10);
    var h = Math.floor(cs / 360000), m = Math.floor(cs / 6000) % 60;
    var s = Math.floor(cs / 100) % 60, f = cs % 100;
    return "PT" + h + "H" + m + "M" + s + "." + pad(f, 2) + "S";
  }

  function clock12(date) {
    return pad(date.getHours(), 2) + ":" + pad(date.getMinutes(), 2) + ":" +
      pad(date.getSeconds(), 2);
  }

  function timestamp2004(date) {
    return date.getUTCFullYear() + "-" + pad(date.getUTCMonth() + 1, 2) + "-" +
      pad(date.getUTCDate(), 2) + "T" + pad(date.getUTCHours(), 2) + ":" +
      pad(date.getUTCMinutes(), 2) + ":" + pad(date.getUTCSeconds(), 2) + ".0Z";
  }

  /* ------------------------------------------------------------- LMS adapters */

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

  var ELEMENTS = {
    "1.2": {
      location: "cmi.core.lesson_location", suspend: "cmi.suspend_data",
      entry: "cmi.core.entry", mode: "cmi.core.lesson_mode", exit: "cmi.core.exit",
      session: "cmi.core.session_time", raw: "cmi.core.score.raw",
      min: "cmi.core.score.min", max: "cmi.core.score.max"
    },
    "2004": {
      location: "cmi.location", suspend: "cmi.suspend_data", entry: "cmi.entry",
      mode: "cmi.mode", exit: "cmi.exit", session: "cmi.session_time",
      raw: "cmi.score.raw", min: "cmi.score.min", max: "cmi.score.max"
    }
  };

  function LmsAdapter(api, version) {
    this.api = api;
    this.version = version;
    this.el = ELEMENTS[version];
    this.v12 = version === "1.2";
  }
  LmsAdapter.prototype.call = function (name12, name2004, args) {
    var fn = this.api[this.v12 ? name12 : name2004];
    return String(fn.apply(this.api, args));
  };
  LmsAdapter.prototype.initialize = function () {
    return this.call("LMSInitialize", "Initialize", [""]) === "true";
  };
  LmsAdapter.prototype.get = function (element) {
    var value = this.call("LMSGetValue", "GetValue", [element]);
    return value === "null" || value === "undefined" ? "" : value;
  };
  LmsAdapter.prototype.set = function (element, value) {
    var ok = this.call("LMSSetValue", "SetValue", [element, String(value)]) === "true";
    if (!ok && window.console) {
      var code = this.call("LMSGetLastError", "GetLastError", []);
      window.console.warn("cxcourse: " + element + " not accepted (error " + code + ")");
    }
    return ok;
  };
  LmsAdapter.prototype.commit = function () {
    return this.call("LMSCommit", "Commit", [""]) === "true";
  };
  LmsAdapter.prototype.finish = function () {
    return this.call("LMSFinish", "Terminate", [""]) === "true";
  };

  /* No LMS: a plain web page keeps its progress in localStorage. */
  function LocalAdapter(storageKey) {
    this.key = storageKey;
    this.data = {};
    try {
      this.data = JSON.parse(window.localStorage.getItem(storageKey) || "{}") || {};
    } catch (e) {
      this.data = {};
    }
  }
  LocalAdapter.prototype.save = function (location, suspend) {
    this.data = {location: location, suspend: suspend};
    try {
      window.localStorage.setItem(this.key, JSON.stringify(this.data));
    } catch (e) { /* storage full or disabled: keep going without it */ }
  };

  /* ------------------------------------------------------------------- course */

  function textOf(el) { return (el.textContent || "").replace(/\s+/g, " ").trim(); }

  function readStructure(main) {
    var pageEls = main.querySelectorAll(".cx-page");
    var pages = [], chapters = [], items = [], maxChoices = 0;
    for (var p = 0; p < pageEls.length; p++) {
      var el = pageEls[p], slug = el.getAttribute("data-cx-chapter") || "";
      var page = {index: p, el: el, id: el.id, chapter: slug ? chapters.length : -1,
                  forms: el.querySelectorAll("form.quiz-form"), items: []};
      if (slug) chapters.push(page);
      var sets = el.querySelectorAll("fieldset.quiz-item");
      for (var f = 0; f < sets.length; f++) {
        var inputs = sets[f].querySelectorAll("input");
        var choices = [];
        for (var k = 0; k < inputs.length; k++) choices.push(inputs[k].value);
        maxChoices = Math.max(maxChoices, choices.length);
        var item = {id: sets[f].getAttribute("data-item"), choices: choices,
                    fieldset: sets[f], inputs: inputs, page: p};
        items.push(item);
        page.items.push(item);
      }
      pages.push(page);
    }
    return {key: main.getAttribute("data-cx-key") || "", pages: pages, pageCount: pages.length,
            chapters: chapters, chapterCount: chapters.length, items: items,
            width: answerWidth(maxChoices)};
  }

  function Course(main, data) {
    this.main = main;
    this.data = data;
    this.version = main.getAttribute("data-cx-scorm") === "2004" ? "2004" : "1.2";
    this.structure = readStructure(main);
    this.state = {page: 0, visited: [], answers: {}};
    for (var c = 0; c < this.structure.chapterCount; c++) this.state.visited.push(false);
    this.lms = null;
    this.local = null;
    this.readOnly = false;
    this.finished = false;
    this.started = new Date().getTime();
    this.interactionIndex = {};
    this.interactionCount = 0;
    this.mastery = data ? data.rules.mastery : 100;
    this.suspendLimit = this.version === "1.2" ? 4096 : 64000;
    if (data && data.suspendLimit) this.suspendLimit = Math.min(this.suspendLimit, data.suspendLimit);
  }

  Course.prototype.start = function () {
    var api = findApi(this.version === "1.2" ? "API" : "API_1484_11");
    var saved = "", location = "";
    if (api) {
      var lms = new LmsAdapter(api, this.version);
      if (lms.initialize()) {
        this.lms = lms;
        var el = lms.el;
        var mode = lms.get(el.mode);
        this.readOnly = mode === "review"; /* missing or unknown mode: track as normal */
        var entry = lms.get(el.entry);
        /* 2004 says "resume" exactly; some 1.2 LMSs leave entry empty on a resume */
        if (entry === "resume" || (entry === "" && this.version === "1.2")) {
          saved = lms.get(el.suspend);
          location = lms.get(el.location);
        }
        this.readMastery();
        this.readInteractions();
      }
    }
    if (!this.lms) {
      this.local = new LocalAdapter("cxbook:" + (this.main.getAttribute("data-cx-course") || "") +
                                    ":" + this.structure.key);
      saved = this.local.data.suspend || "";
      location = this.local.data.location || "";
    }
    var restored = decodeState(this.structure, saved);
    if (restored) this.state = restored;
    var at = this.pageIndex(location);
    if (at >= 0) this.state.page = at;
    this.bindUi();
    this.restoreAnswers();
    this.show(this.state.page, false);
    this.report(true);
  };

  Course.prototype.readMastery = function () {
    var lms = this.lms, value;
    if (this.version === "1.2") {
      value = parseFloat(lms.get("cmi.student_data.mastery_score"));
      if (!isNaN(value) && value >= 0 && value <= 100) this.mastery = value;
    } else {
      value = parseFloat(lms.get("cmi.scaled_passing_score"));
      if (!isNaN(value) && value >= -1 && value <= 1) this.mastery = Math.round(value * 1e4) / 100;
    }
  };

  /* SCORM 2004 interactions are readable: update an item's record in place on resume.
     SCORM 1.2 interactions are write-only: each check appends (the journal 1.2 expects). */
  Course.prototype.readInteractions = function () {
    var count = parseInt(this.lms.get("cmi.interactions._count"), 10);
    this.interactionCount = isNaN(count) ? 0 : count;
    if (this.version !== "2004") return;
    for (var n = 0; n < this.interactionCount; n++) {
      var id = this.lms.get("cmi.interactions." + n + ".id");
      if (id) this.interactionIndex[id] = n;
    }
  };

  Course.prototype.pageIndex = function (id) {
    if (!id) return -1;
    for (var p = 0; p < this.structure.pageCount; p++) {
      if (this.structure.pages[p].id === id) return p;
    }
    return -1;
  };

  Course.prototype.bindUi = function () {
    var self = this;
    this.prev = document.getElementById("cx-prev");
    this.next = document.getElementById("cx-next");
    this.where = document.getElementById("cx-where");
    this.status = document.getElementById("cx-status");
    this.tocLinks = document.querySelectorAll("a[data-cx-page]");
    this.prev.addEventListener("click", function () { self.go(self.state.page - 1); });
    this.next.addEventListener("click", function () { self.go(self.state.page + 1); });
    document.addEventListener("click", function (event) {
      var a = event.target && event.target.closest ? event.target.closest("a[href^='#']") : null;
      if (!a) return;
      var target = document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)));
      if (!target) return;
      var page = target.closest(".cx-page");
      if (!page) return;
      event.preventDefault();
      var index = self.pageIndex(page.id);
      var heading = page === target ? null : target;
      self.go(index, heading);
      if (a.hasAttribute("data-cx-page")) self.closeTocOnSmallScreens();
    });
    for (var p = 0; p < this.structure.pageCount; p++) {
      var forms = this.structure.pages[p].forms;
      for (var f = 0; f < forms.length; f++) {
        forms[f].addEventListener("submit", this.onSubmit.bind(this, p, forms[f]));
      }
    }
    var leave = function () { self.finish(); };
    window.addEventListener("pagehide", leave);
    window.addEventListener("beforeunload", leave);
    window.addEventListener("unload", leave);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") self.save(true);
    });
    this.closeTocOnSmallScreens();
  };

  Course.prototype.closeTocOnSmallScreens = function () {
    var box = document.getElementById("cx-toc-box");
    if (box && window.matchMedia && window.matchMedia("(max-width: 47.99em)").matches) {
      box.removeAttribute("open");
    }
  };

  Course.prototype.go = function (index, focusTarget) {
    if (index < 0 || index >= this.structure.pageCount) return;
    this.show(index, true, focusTarget);
    this.report(true);
  };

  Course.prototype.show = function (index, moveFocus, focusTarget) {
    var pages = this.structure.pages;
    for (var p = 0; p < pages.length; p++) pages[p].el.hidden = p !== index;
    this.state.page = index;
    var page = pages[index];
    if (page.chapter >= 0) this.state.visited[page.chapter] = true;
    for (var i = 0; i < this.tocLinks.length; i++) {
      var link = this.tocLinks[i], n = parseInt(link.getAttribute("data-cx-page"), 10);
      if (n === index) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
      var chapter = pages[n] ? pages[n].chapter : -1;
      var mark = link.querySelector(".cx-visited");
      if (mark) mark.hidden = !(chapter >= 0 && this.state.visited[chapter]);
    }
    this.prev.disabled = index === 0;
    this.next.disabled = index === pages.length - 1;
    this.where.textContent = "Page " + (index + 1) + " of " + pages.length;
    if (moveFocus) {
      var target = focusTarget || page.el.querySelector("h1") || this.main;
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus();
      if (!focusTarget) window.scrollTo(0, 0);
    }
  };

  Course.prototype.restoreAnswers = function () {
    var items = this.structure.items;
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      if (!Object.prototype.hasOwnProperty.call(this.state.answers, item.id)) continue;
      var sel = this.state.answers[item.id];
      for (var k = 0; k < item.inputs.length; k++) {
        item.inputs[k].checked = sel.indexOf(item.inputs[k].value) >= 0;
      }
      this.feedback(item);
    }
  };

  Course.prototype.feedback = function (item) {
    var box = item.fieldset.querySelector(".feedback");
    if (!box || !this.data) return;
    var sel = this.state.answers[item.id];
    var text;
    if (!sel.length) {
      text = "Not answered.";
    } else if (itemCorrect(this.data.rules, item.id, sel)) {
      text = "Correct.";
    } else {
      text = "Not quite.";
    }
    var why = box.getAttribute("data-explanation");
    box.textContent = why ? text + " " + why : text;
    item.fieldset.setAttribute("data-cx-result", text === "Correct." ? "correct" : "incorrect");
  };

  Course.prototype.onSubmit = function (pageIndex, form, event) {
    event.preventDefault();
    var result = form.querySelector(".quiz-result");
    if (!this.data) {
      if (result) {
        result.textContent = "The answers cannot be checked here: open the course from an " +
          "LMS or a web server.";
      }
      return;
    }
    var items = this.structure.pages[pageIndex].items, right = 0, now = new Date();
    for (var i = 0; i < items.length; i++) {
      var item = items[i], sel = [];
      for (var k = 0; k < item.inputs.length; k++) {
        if (item.inputs[k].checked) sel.push(item.inputs[k].value);
      }
      this.state.answers[item.id] = sel;
      if (itemCorrect(this.data.rules, item.id, sel)) right++;
      this.feedback(item);
      this.recordInteraction(item, sel, now);
    }
    var total = this.progress();
    if (result) {
      var text = "You answered " + right + " of " + items.length + " correctly.";
      if (total.score !== null) {
        text += " Course score so far: " + total.score + "% (pass mark " +
          Math.round(this.mastery) + "%).";
      }
      result.textContent = text;
    }
    this.report(true);
  };

  Course.prototype.recordInteraction = function (item, sel, now) {
    if (!this.lms || this.readOnly) return;
    var lms = this.lms, info = this.data.items[item.id] || {};
    var correct = uniqueSorted(this.data.rules.items[item.id] || []);
    var right = itemCorrect(this.data.rules, item.id, sel);
    var id = info.interaction || item.id;
    var n, base;
    if (this.version === "1.2") {
      n = this.interactionCount++;
      base = "cmi.interactions." + n + ".";
      lms.set(base + "id", id);
      lms.set(base + "type", "choice");
      lms.set(base + "correct_responses.0.pattern", correct.join(","));
      lms.set(base + "weighting", "1");
      lms.set(base + "student_response", sel.join(","));
      lms.set(base + "result", right ? "correct" : "wrong");
      lms.set(base + "time", clock12(now));
      return;
    }
    var known = Object.prototype.hasOwnProperty.call(this.interactionIndex, id);
    n = known ? this.interactionIndex[id] : this.interactionCount++;
    this.interactionIndex[id] = n;
    base = "cmi.interactions." + n + ".";
    if (!known) {
      lms.set(base + "id", id);
      lms.set(base + "type", "choice");
      if (info.description) lms.set(base + "description", info.description);
      lms.set(base + "correct_responses.0.pattern", correct.join("[,]"));
      lms.set(base + "weighting", "1");
    }
    if (sel.length) lms.set(base + "learner_response", sel.join("[,]"));
    lms.set(base + "result", right ? "correct" : "incorrect");
    lms.set(base + "timestamp", timestamp2004(now));
  };

  /* Where the learner stands: visits, answers, score and what may be reported. */
  Course.prototype.progress = function () {
    var visited = 0;
    for (var c = 0; c < this.state.visited.length; c++) if (this.state.visited[c]) visited++;
    var allVisited = visited === this.structure.chapterCount;
    var answered = 0;
    for (var i = 0; i < this.structure.items.length; i++) {
      if (Object.prototype.hasOwnProperty.call(this.state.answers, this.structure.items[i].id)) {
        answered++;
      }
    }
    var allAnswered = answered === this.structure.items.length;
    var scored = this.data ? courseScore(this.data.rules, this.state.answers) : null;
    var score = scored ? scored.score : null;
    var hasQuiz = this.structure.items.length > 0;
    return {
      visited: visited, allVisited: allVisited, answered: answered, allAnswered: allAnswered,
      score: score, hasQuiz: hasQuiz,
      pass: score !== null && passes(score, this.mastery)
    };
  };

  Course.prototype.statusText = function (pr) {
    var text = pr.visited + " of " + this.structure.chapterCount + " chapters visited";
    if (pr.hasQuiz && this.data) {
      text += " · " + pr.answered + " of " + this.structure.items.length +
        " questions answered · score " + pr.score + "%";
    }
    return text + ".";
  };

  /* Write status, score and location to the LMS (or localStorage) and commit. */
  Course.prototype.report = function (commit) {
    var pr = this.progress();
    this.status.textContent = this.statusText(pr);
    this.done = false;
    if (this.lms && !this.readOnly && this.data) {
      var lms = this.lms, el = lms.el;
      /* A score is reported once it is final enough that an LMS comparing it with the
         mastery score (as SCORM 1.2 LMSs and 2004 scaled_passing_score do) is right. */
      var reportScore = pr.hasQuiz && (pr.allAnswered || pr.pass);
      if (this.version === "1.2") {
        reportScore = reportScore && pr.allVisited;
        var status = "incomplete";
        if (!pr.hasQuiz) status = pr.allVisited ? "passed" : "incomplete";
        else if (reportScore) status = pr.pass ? "passed" : "failed";
        lms.set("cmi.core.lesson_status", status);
        this.done = status === "passed";
      } else {
        lms.set("cmi.completion_status", pr.allVisited ? "completed" : "incomplete");
        var success = "unknown";
        if (!pr.hasQuiz) success = pr.allVisited ? "passed" : "unknown";
        else if (reportScore) success = pr.pass ? "passed" : "failed";
        lms.set("cmi.success_status", success);
        lms.set("cmi.progress_measure", String(
          this.structure.chapterCount ? Math.round(1e4 * pr.visited / this.structure.chapterCount) / 1e4 : 1));
        this.done = pr.allVisited && success === "passed";
      }
      if (reportScore) {
        lms.set(el.min, "0");
        lms.set(el.max, "100");
        lms.set(el.raw, String(pr.score));
        if (this.version === "2004") lms.set("cmi.score.scaled", String(pr.score / 100));
      }
    }
    this.save(commit);
  };

  Course.prototype.save = function (commit) {
    if (this.finished) return;
    var page = this.structure.pages[this.state.page];
    var suspend = encodeState(this.structure, this.state);
    if (suspend.length > this.suspendLimit) {
      /* Never send more than the version allows: keep the location, drop the answers. */
      var slim = {page: this.state.page, visited: this.state.visited, answers: {}};
      suspend = encodeState(this.structure, slim);
      if (suspend.length > this.suspendLimit) suspend = "";
    }
    if (this.local) {
      this.local.save(page.id, suspend);
      return;
    }
    if (!this.lms || this.readOnly) return;
    this.lms.set(this.lms.el.location, page.id);
    this.lms.set(this.lms.el.suspend, suspend);
    if (commit) this.lms.commit();
  };

  /* Called on pagehide / beforeunload / unload: finish exactly once. */
  Course.prototype.finish = function () {
    if (this.finished) return;
    this.save(false);
    this.finished = true;
    if (!this.lms) return;
    var lms = this.lms, el = lms.el, spent = new Date().getTime() - this.started;
    if (!this.readOnly) {
      if (this.version === "1.2") {
        lms.set(el.exit, this.done ? "" : "suspend");
        lms.set(el.session, timespan12(spent));
      } else {
        lms.set(el.exit, this.done ? "normal" : "suspend");
        lms.set(el.session, duration2004(spent));
      }
      lms.commit();
    }
    lms.finish();
  };

  /* ------------------------------------------------------------------- start */

  function boot() {
    var main = document.getElementById("cx-main");
    if (!main) return;
    document.documentElement.className =
      document.documentElement.className.replace(/\bcx-nojs\b/, "cx-js");
    var begin = function (data) {
      var course = new Course(main, data);
      window.cxcourse.current = course;
      course.start();
    };
    var request;
    try {
      request = window.fetch("cxbook/course-data.json", {credentials: "same-origin"});
    } catch (e) {
      begin(null);
      return;
    }
    request.then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(begin, function () { begin(null); });
  }

  window.cxcourse = {
    itemCorrect: itemCorrect,
    scorePercent: scorePercent,
    courseScore: courseScore,
    passes: passes,
    encodeState: encodeState,
    decodeState: decodeState,
    answerWidth: answerWidth,
    timespan12: timespan12,
    duration2004: duration2004,
    current: null
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }
})();
