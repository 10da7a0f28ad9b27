/*
 * cxbook course player: the one logic of the course page — pages, answers, scoring,
 * progress and saved state — whatever keeps the learner's progress. Where progress goes
 * (a SCORM 1.2 or 2004 LMS, the browser's local storage, later cmi5) is a tracking
 * adapter's business (track-*.js): the player never speaks an LMS data model. No
 * framework, no network beyond the package's own data file.
 *
 * Scoring follows src/cxbook/scoring.py exactly, from the rules in cxbook/course-data.json:
 * an item is right when the selected choice ids equal its correct ids (no partial credit,
 * unanswered is wrong); score = floor(100 * right / total + 0.5); pass when score >= mastery;
 * a course without items has no score and passes when completed. An item is answered once
 * it is checked with at least one choice selected.
 *
 * Saved state (the adapter keeps it as one string), compact and versioned:
 *   c1.<key>.<page>.<visited>.<answers>
 * key: structure fingerprint; page: base 36; visited: chapter bitset, 5 bits per base-36
 * digit; answers: per quiz item (page order) a fixed-width base-36 number, 0 = not
 * answered, else 1 + bitmask of the selected choices. Trailing zero digits are dropped.
 *
 * ---------------------------------------------------------------- tracking adapters
 * The page names the adapters its package ships, in the order to try them
 * (main[data-cx-tracking], e.g. "scorm12 local"). Each track-*.js registers a factory:
 *
 *   cxcourse.registerAdapter(name, function (context) { return adapter; });
 *
 * context: {courseId: string, data: course-data.json (or null when it could not be
 * loaded), structure: {items: [{id, type, choices: [choice id, ...]}], pages, ...}}.
 * A quiz item's type is "choice" (single or multiple answer), the only one so far; its
 * response is the selected choice ids in choice order. A new question type adds its type
 * here, a response shape, and an encoder in each adapter (adapters leave unknown types out).
 * The player uses the first adapter whose initialize() answers true. An adapter has:
 *
 *   initialize() -> boolean      connect; false when its runtime is not there
 *   mode() -> "normal" | "review" | "browse"   review and browse are read-only: the
 *                                player then calls none of the writing methods below
 *   limits -> {suspend: n, location: n}   longest saved state and location it can keep
 *   readState() -> {location: string, suspend: string, mastery: percent or null,
 *                   recorded: null or {score: percent or null,
 *                                      success: "passed" | "failed" | "unknown",
 *                                      completion: "completed" | "incomplete" |
 *                                                  "not attempted" | "unknown"},
 *                   responses: {item id: response}}
 *                                what was kept before: the saved state to resume, and
 *                                what the tracker recorded (shown in review mode)
 *   writeState(location, suspend, commit)   keep the state (commit: make it durable now)
 *   recordInteraction(item, response, correct, when)   a checked quiz item: item from
 *                                context.structure.items, its response (never empty),
 *                                correct: boolean, when: Date
 *   setScore(progress)           status and score; progress: {visited, chapterCount,
 *                                allVisited, answered, itemCount, allAnswered, hasQuiz,
 *                                score (percent or null), pass, final (the score will not
 *                                mislead a tracker that compares it with the mastery score)}
 *   finish(summary)              end the session exactly once; summary null in review
 *                                and browse modes (record nothing), else {progress,
 *                                spentMs, done (the learner has finished the course)}
 *
 * Data-model formats (1.2 choice letters, 2004 identifiers, time formats, vocabularies)
 * live in the adapter that needs them, from the tables course-data.json gives it.
 *
 * ------------------------------------------------------------------------ words
 * Every word the page shows comes from cxbook/locale.js (made from the book's message
 * catalog): window.cxcourseLocale = {messages: {name: text or [plural forms]}, numbers:
 * [formatted 0, 1, ...], percents: [formatted 0 %, ..., 100 %], plural(n) -> index of
 * the plural form}. Texts hold %(name)s placeholders; this file holds no word of its own.
 */
(function () {
  "use strict";

  var DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz";
  var ADAPTERS = {};

  function has(object, key) { return Object.prototype.hasOwnProperty.call(object, key); }

  /* ------------------------------------------------------------------- words */

  function locale() {
    return window.cxcourseLocale || {messages: {}, numbers: [], percents: [],
                                     plural: function () { return 0; }};
  }

  function fill(template, values) {
    return String(template).replace(/%\((\w+)\)s|%%/g, function (all, name) {
      if (!name) return "%";
      return has(values, name) ? String(values[name]) : all;
    });
  }

  /* A message with its placeholders filled; a plural message takes the form for count. */
  function say(name, values, count) {
    var l10n = locale(), text = has(l10n.messages, name) ? l10n.messages[name] : name;
    if (typeof text !== "string") {
      var forms = text, index = count === undefined ? 0 : l10n.plural(count);
      text = forms[Math.min(Math.max(index, 0), forms.length - 1)];
    }
    return fill(text, values || {});
  }

  function number(n) {
    var table = locale().numbers;
    return n >= 0 && n < table.length && n === Math.floor(n) ? table[n] : String(n);
  }

  function percent(p) {
    var table = locale().percents, at = Math.round(p);
    return at >= 0 && at < table.length ? table[at] : String(p) + "%";
  }

  /* ------------------------------------------------------------------ scoring */

  function uniqueSorted(list) {
    var seen = {}, out = [];
    for (var i = 0; i < list.length; i++) {
      if (!has(seen, list[i])) {
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
      var sel = has(answers, ids[i]) ? answers[ids[i]] : [];
      if (itemCorrect(rules, ids[i], sel)) right++;
    }
    return {score: scorePercent(right, ids.length), correct: right, total: ids.length};
  }

  function passes(score, mastery) {
    return score === null ? true : score >= mastery;
  }

  /* ---------------------------------------------------------------- saved state */

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
      if (has(state.answers, item.id)) {
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
      var mask = value - 1, item = structure.items[i], sel = [];
      for (var k = 0; k < item.choices.length && value > 1; k++) {
        if (Math.floor(mask / Math.pow(2, k)) % 2 === 1) sel.push(item.choices[k]);
      }
      if (sel.length) state.answers[item.id] = sel; /* nothing selected: not answered */
    }
    return state;
  }

  /* ------------------------------------------------------------------- course */

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
        var item = {id: sets[f].getAttribute("data-item"), type: "choice", choices: choices,
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

  /* The selection in choice order, keeping only choices the item has. */
  function inChoiceOrder(item, selected) {
    var out = [];
    for (var k = 0; k < item.choices.length; k++) {
      if (selected.indexOf(item.choices[k]) >= 0) out.push(item.choices[k]);
    }
    return out;
  }

  function Course(main, data) {
    this.main = main;
    this.data = data;
    this.structure = readStructure(main);
    this.state = {page: 0, visited: [], answers: {}};
    for (var c = 0; c < this.structure.chapterCount; c++) this.state.visited.push(false);
    this.adapter = null;
    this.readOnly = false;
    this.recorded = null;
    this.finished = false;
    this.started = new Date().getTime();
    this.mastery = data ? data.rules.mastery : 100;
  }

  Course.prototype.connect = function () {
    var names = (this.main.getAttribute("data-cx-tracking") || "local").split(/\s+/);
    var context = {courseId: this.main.getAttribute("data-cx-course") || "", data: this.data,
                   structure: this.structure};
    for (var i = 0; i < names.length; i++) {
      if (!names[i] || !has(ADAPTERS, names[i])) continue;
      var adapter = ADAPTERS[names[i]](context);
      if (adapter && adapter.initialize()) return adapter;
    }
    return null;
  };

  Course.prototype.start = function () {
    this.adapter = this.connect();
    var saved = {location: "", suspend: "", mastery: null, recorded: null, responses: {}};
    if (this.adapter) {
      var mode = this.adapter.mode();
      this.readOnly = mode === "review" || mode === "browse";
      saved = this.adapter.readState();
    }
    if (saved.mastery !== null && saved.mastery !== undefined) this.mastery = saved.mastery;
    this.recorded = saved.recorded || null;
    var restored = decodeState(this.structure, saved.suspend);
    if (restored) {
      this.state = restored;
    } else if (this.readOnly) {
      this.takeResponses(saved.responses || {});
    }
    var at = this.pageIndex(saved.location);
    if (at >= 0) this.state.page = at;
    this.bindUi();
    if (this.readOnly) this.lock();
    this.restoreAnswers();
    this.show(this.state.page, false);
    this.report(true);
  };

  /* Answers as the tracker recorded them (review mode without saved state). */
  Course.prototype.takeResponses = function (responses) {
    var items = this.structure.items;
    for (var i = 0; i < items.length; i++) {
      if (!has(responses, items[i].id)) continue;
      var sel = inChoiceOrder(items[i], responses[items[i].id]);
      if (sel.length) this.state.answers[items[i].id] = sel;
    }
  };

  Course.prototype.pageIndex = function (location) {
    if (!location) return -1;
    for (var p = 0; p < this.structure.pageCount; p++) {
      if (this.structure.pages[p].id === location) return p;
    }
    /* a location too long for the tracker is kept as the page's number */
    if (/^[0-9]+$/.test(location) && Number(location) < this.structure.pageCount) {
      return Number(location);
    }
    return -1;
  };

  Course.prototype.location = function () {
    var id = this.structure.pages[this.state.page].id;
    return id.length <= this.adapter.limits.location ? id : String(this.state.page);
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

  /* Review and browse modes: the answers are shown, nothing can be changed or checked. */
  Course.prototype.lock = function () {
    this.main.setAttribute("data-cx-mode", "review");
    var controls = this.main.querySelectorAll("form.quiz-form input, form.quiz-form button");
    for (var i = 0; i < controls.length; i++) controls[i].disabled = true;
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
    this.where.textContent = say("pageOf", {page: number(index + 1),
                                            pages: number(pages.length)});
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
      if (!has(this.state.answers, item.id)) continue;
      var sel = this.state.answers[item.id];
      for (var k = 0; k < item.inputs.length; k++) {
        item.inputs[k].checked = sel.indexOf(item.inputs[k].value) >= 0;
      }
      this.feedback(item, sel);
    }
  };

  Course.prototype.feedback = function (item, sel) {
    var box = item.fieldset.querySelector(".feedback");
    if (!box || !this.data) return;
    var right = sel.length > 0 && itemCorrect(this.data.rules, item.id, sel);
    var text = say(!sel.length ? "notAnswered" : right ? "correct" : "notQuite");
    var why = box.getAttribute("data-explanation");
    box.textContent = why && sel.length ? say("nextSentence", {text: text, sentence: why})
      : text;
    item.fieldset.setAttribute("data-cx-result", right ? "correct" : "incorrect");
  };

  Course.prototype.onSubmit = function (pageIndex, form, event) {
    event.preventDefault();
    if (this.readOnly) return;
    var result = form.querySelector(".quiz-result");
    if (!this.data) {
      if (result) result.textContent = say("noData");
      return;
    }
    var items = this.structure.pages[pageIndex].items, right = 0, now = new Date();
    for (var i = 0; i < items.length; i++) {
      var item = items[i], sel = [];
      for (var k = 0; k < item.inputs.length; k++) {
        if (item.inputs[k].checked) sel.push(item.inputs[k].value);
      }
      var correct = itemCorrect(this.data.rules, item.id, sel);
      if (correct) right++;
      this.feedback(item, sel);
      if (sel.length) {
        this.state.answers[item.id] = sel;
        if (this.adapter) this.adapter.recordInteraction(item, sel, correct, now);
      } else {
        delete this.state.answers[item.id]; /* checked with nothing selected: not answered */
      }
    }
    var total = this.progress();
    if (result) {
      var text = say("answeredRight", {right: number(right), num: number(items.length)},
                     items.length);
      if (total.score !== null) {
        text = say("nextSentence", {text: text, sentence: say("scoreSoFar", {
          score: percent(total.score), mastery: percent(this.mastery)})});
      }
      result.textContent = text;
    }
    this.report(true);
  };

  /* Where the learner stands: visits, answers, score and what may be reported. */
  Course.prototype.progress = function () {
    var visited = 0, chapterCount = this.structure.chapterCount;
    for (var c = 0; c < this.state.visited.length; c++) if (this.state.visited[c]) visited++;
    var answered = 0, itemCount = this.structure.items.length;
    for (var i = 0; i < itemCount; i++) {
      if (has(this.state.answers, this.structure.items[i].id)) answered++;
    }
    var scored = this.data ? courseScore(this.data.rules, this.state.answers) : null;
    var score = scored ? scored.score : null;
    var hasQuiz = itemCount > 0;
    var pass = score !== null && passes(score, this.mastery);
    return {
      visited: visited, chapterCount: chapterCount, allVisited: visited === chapterCount,
      answered: answered, itemCount: itemCount, allAnswered: answered === itemCount,
      hasQuiz: hasQuiz, score: score, pass: pass,
      /* A score is final enough to report once a tracker comparing it with the mastery
         score (as SCORM 1.2 LMSs and 2004 scaled_passing_score do) cannot be misled. */
      final: hasQuiz && (answered === itemCount || pass)
    };
  };

  Course.prototype.statusText = function (pr) {
    if (this.readOnly) return this.reviewText(pr);
    var parts = [say("chaptersVisited", {visited: number(pr.visited),
                                         num: number(pr.chapterCount)}, pr.chapterCount)];
    if (pr.hasQuiz && this.data) {
      parts.push(say("questionsAnswered", {answered: number(pr.answered),
                                           num: number(pr.itemCount)}, pr.itemCount));
      parts.push(say("score", {score: percent(pr.score)}));
    }
    return statusLine(parts);
  };

  /* Parts of the status line joined, as one sentence. */
  function statusLine(parts) {
    var text = parts[0];
    for (var i = 1; i < parts.length; i++) {
      text = say("statusPart", {status: text, part: parts[i]});
    }
    return say("sentence", {text: text});
  }

  var RECORDED = {passed: "passed", failed: "failed", completed: "completed",
                  incomplete: "incomplete", "not attempted": "notAttempted"};

  /* Review and browse modes show what the tracker recorded, not a score made up from
     answers it may not have kept. */
  Course.prototype.reviewText = function (pr) {
    var parts = [say("review")];
    var r = this.recorded;
    if (r) {
      if (r.success === "passed" || r.success === "failed") parts.push(say(r.success));
      else if (r.completion && has(RECORDED, r.completion)) {
        parts.push(say(RECORDED[r.completion]));
      }
      if (r.score !== null && r.score !== undefined) {
        parts.push(say("score", {score: percent(r.score)}));
      }
    }
    if (pr.hasQuiz && pr.answered) {
      parts.push(say("questionsAnswered", {answered: number(pr.answered),
                                           num: number(pr.itemCount)}, pr.itemCount));
    }
    return statusLine(parts);
  };

  /* Show the status; pass status, score and saved state to the tracker (never in review). */
  Course.prototype.report = function (commit) {
    var pr = this.progress();
    this.status.textContent = this.statusText(pr);
    if (this.readOnly || !this.adapter) return;
    if (this.data) this.adapter.setScore(pr);
    this.save(commit);
  };

  Course.prototype.save = function (commit) {
    if (this.finished || this.readOnly || !this.adapter) return;
    var suspend = encodeState(this.structure, this.state);
    var limit = this.adapter.limits.suspend;
    if (this.data && this.data.suspendLimit) limit = Math.min(limit, this.data.suspendLimit);
    if (suspend.length > limit) {
      /* Never send more than the tracker keeps: keep the location, drop the answers. */
      var slim = {page: this.state.page, visited: this.state.visited, answers: {}};
      suspend = encodeState(this.structure, slim);
      if (suspend.length > limit) suspend = "";
    }
    this.adapter.writeState(this.location(), suspend, commit);
  };

  /* Called on pagehide / beforeunload / unload: finish exactly once. */
  Course.prototype.finish = function () {
    if (this.finished) return;
    this.save(false);
    this.finished = true;
    if (!this.adapter) return;
    if (this.readOnly) {
      this.adapter.finish(null);
      return;
    }
    var pr = this.progress();
    this.adapter.finish({progress: pr, spentMs: new Date().getTime() - this.started,
                         done: pr.allVisited && (!pr.hasQuiz || pr.pass)});
  };

  /* ------------------------------------------------------------------- start */

  function boot() {
    var main = document.getElementById("cx-main");
    if (!main || window.cxcourse.current) return;
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
    registerAdapter: function (name, factory) { ADAPTERS[name] = factory; },
    adapters: ADAPTERS,
    itemCorrect: itemCorrect,
    scorePercent: scorePercent,
    courseScore: courseScore,
    passes: passes,
    encodeState: encodeState,
    decodeState: decodeState,
    answerWidth: answerWidth,
    current: null
  };

  /* The adapters' scripts come after this one (all deferred): start once they are in. */
  if (document.readyState === "complete") {
    window.setTimeout(boot, 0);
  } else {
    document.addEventListener("DOMContentLoaded", boot);
  }
})();
