/*
 * cxbook course player: the SCORM 2004 (4th edition) tracking adapter (the interface is
 * described in player.js). Everything here is written in the 2004 RTE data model's types:
 *
 *   cmi.location               characterstring (SPM 1000): the page's id
 *   cmi.suspend_data           characterstring (SPM 64000): the player's saved state
 *   cmi.completion_status      completed | incomplete (every chapter visited)
 *   cmi.success_status         passed | failed | unknown (a score only once final)
 *   cmi.progress_measure       real(10,7) 0-1: share of chapters visited
 *   cmi.score.raw/min/max      real(10,7) 0-100; cmi.score.scaled real(10,7) 0-1
 *   cmi.exit                   normal when the course is finished, else suspend
 *   cmi.session_time           timeinterval (second,10,2): PT#H#M#.##S
 *   cmi.interactions.n.*       readable in 2004, so each quiz item keeps one record that
 *                              later checks update: id (long_identifier_type, from
 *                              course-data.json), type (choice, fill-in, numeric,
 *                              matching, sequencing), description (the question, a
 *                              localized_string_type from course-data.json), weighting 1,
 *                              correct_responses.n.pattern and learner_response in the
 *                              type's format:
 *                              choice      the choices' short identifiers (course-data.json's
 *                                          "responses", made from the choice texts) in
 *                                          choice order, joined by "[,]";
 *                              fill-in     the text (at most 250 characters, no leading
 *                                          "{", "[,]" written "[ ,]"); one pattern per
 *                                          accepted answer, "{case_matters=true|false}"
 *                                          and the answer;
 *                              numeric     a real number; the pattern "low[:]high";
 *                              matching    "source[.]target" records joined by "[,]", from
 *                                          course-data.json's "sources" and "targets";
 *                              sequencing  the entries' identifiers in order, "[,]";
 *                              result correct | incorrect; timestamp time(second,10,0).
 *   cmi.learner_id             read: the learner id, which seeds shuffled choices
 *
 * In review and browse modes (cmi.mode) the player writes nothing; this adapter then reads
 * what the LMS recorded: status, score and each interaction's learner_response, which
 * the page shows as the learner's answers.
 */
(function () {
  "use strict";

  var cx = window.cxcourse, scorm = cx.scorm;
  var CALLS = {initialize: "Initialize", finish: "Terminate", get: "GetValue",
               set: "SetValue", commit: "Commit", error: "GetLastError"};
  var DELIMITER = "[,]";

  /* timeinterval (second,10,2): PT#H#M#.##S */
  function duration(ms) {
    var cs = Math.round(ms / 10);
    var h = Math.floor(cs / 360000), m = Math.floor(cs / 6000) % 60;
    var s = Math.floor(cs / 100) % 60, f = cs % 100;
    return "PT" + h + "H" + m + "M" + s + "." + scorm.pad(f, 2) + "S";
  }

  /* time (second,10,0): YYYY-MM-DDThh:mm:ss.sZ in UTC */
  function timestamp(date) {
    var pad = scorm.pad;
    return date.getUTCFullYear() + "-" + pad(date.getUTCMonth() + 1, 2) + "-" +
      pad(date.getUTCDate(), 2) + "T" + pad(date.getUTCHours(), 2) + ":" +
      pad(date.getUTCMinutes(), 2) + ":" + pad(date.getUTCSeconds(), 2) + ".0Z";
  }

  function Scorm2004(context) {
    this.context = context;
    this.items = context.data ? context.data.items : {};
    this.rules = context.data ? context.data.rules : {items: {}};
    this.lms = null;
    this.learnerMode = "normal";
    this.index = {}; /* interaction id -> n */
    this.count = 0;
    this.limits = {suspend: 64000, location: 1000};
  }

  var TEXT_LENGTH = 250; /* a localized_string_type's smallest permitted maximum */

  function has(object, key) { return Object.prototype.hasOwnProperty.call(object, key); }

  /* A choice response: the choices' identifiers in the data model, in choice order. */
  Scorm2004.prototype.choice = function (item, selected) {
    var table = (this.items[item.id] || {}).responses || {}, out = [];
    for (var k = 0; k < item.choices.length; k++) {
      var choice = item.choices[k];
      if (selected.indexOf(choice) >= 0) out.push(table[choice] || choice);
    }
    return out.join(DELIMITER);
  };

  /* A fill-in text as one localized string of the array: no "{" to open it (that would
     start a delimiter), no "[,]" inside it, at most 250 characters. */
  function localized(text) {
    var out = String(text).replace(/^\{+/, "").split(DELIMITER).join("[ ,]");
    if (out.length > TEXT_LENGTH) {
      out = out.slice(0, TEXT_LENGTH);
      if (/[\ud800-\udbff]$/.test(out)) out = out.slice(0, -1);
    }
    return out;
  }

  Scorm2004.prototype.fillIn = function (item, text) { return localized(text); };

  Scorm2004.prototype.numeric = function (item, number) { return String(number); };

  /* Matching: "source[.]target" for each matched prompt, in the prompts' order. */
  Scorm2004.prototype.matching = function (item, matched) {
    var info = this.items[item.id] || {}, sources = info.sources || {};
    var targets = info.targets || {}, out = [];
    for (var p = 0; p < item.prompts.length; p++) {
      var prompt = item.prompts[p];
      if (has(matched, prompt)) {
        out.push((sources[prompt] || prompt) + "[.]" +
                 (targets[matched[prompt]] || matched[prompt]));
      }
    }
    return out.join(DELIMITER);
  };

  /* Sequencing: the entries' identifiers in the given order. */
  Scorm2004.prototype.sequence = function (item, order) {
    var table = (this.items[item.id] || {}).responses || {}, out = [];
    for (var i = 0; i < order.length; i++) out.push(table[order[i]] || order[i]);
    return out.join(DELIMITER);
  };

  /* question type -> [its 2004 interaction type, the method writing a response, its
     correct patterns from the item's scoring rule] */
  var ENCODERS = {
    choice: ["choice", "choice", function (self, item, rule) {
      return [self.choice(item, rule.correct || [])];
    }],
    "fill-in": ["fill-in", "fillIn", function (self, item, rule) {
      var prefix = "{case_matters=" + (rule.caseSensitive ? "true" : "false") + "}";
      return (rule.accepted || []).map(function (a) { return prefix + localized(a); });
    }],
    numeric: ["numeric", "numeric", function (self, item, rule) {
      return [rule.low + "[:]" + rule.high];
    }],
    matching: ["matching", "matching", function (self, item, rule) {
      return [self.matching(item, rule.pairs || {})];
    }],
    ordering: ["sequencing", "sequence", function (self, item, rule) {
      return [self.sequence(item, rule.sequence || [])];
    }]
  };

  Scorm2004.prototype.initialize = function () {
    var session = scorm.open("API_1484_11", CALLS, "cmi.mode");
    if (!session) return false;
    this.lms = session.lms;
    this.learnerMode = session.mode; /* a missing or unknown mode: track as normal */
    this.count = session.interactions;
    /* 2004 interactions are readable: a later check updates its item's record */
    for (var n = 0; n < this.count; n++) {
      var id = this.lms.get("cmi.interactions." + n + ".id");
      if (id) this.index[id] = n;
    }
    return true;
  };

  Scorm2004.prototype.mode = function () { return this.learnerMode; };

  Scorm2004.prototype.readState = function () {
    var lms = this.lms, readOnly = this.learnerMode !== "normal";
    var resume = lms.get("cmi.entry") === "resume" || readOnly;
    var scaled = scorm.number(lms.get("cmi.scaled_passing_score"), -1, 1);
    var state = {
      location: resume ? lms.get("cmi.location") : "",
      suspend: resume ? lms.get("cmi.suspend_data") : "",
      mastery: scaled === null ? null : Math.round(scaled * 1e4) / 100,
      learner: lms.get("cmi.learner_id"),
      recorded: null,
      responses: {}
    };
    if (readOnly) {
      state.recorded = this.recorded();
      state.responses = this.recordedResponses();
    }
    return state;
  };

  Scorm2004.prototype.recorded = function () {
    var lms = this.lms;
    var raw = scorm.number(lms.get("cmi.score.raw"), 0, 100);
    if (raw === null) {
      var scaled = scorm.number(lms.get("cmi.score.scaled"), 0, 1);
      raw = scaled === null ? null : scaled * 100;
    }
    var success = lms.get("cmi.success_status");
    var completion = lms.get("cmi.completion_status");
    return {
      score: raw === null ? null : Number(scorm.decimal(raw, 2)),
      success: success === "passed" || success === "failed" ? success : "unknown",
      completion: /^(completed|incomplete|not attempted)$/.test(completion) ? completion
        : "unknown"
    };
  };

  /* Each recorded interaction's learner_response, as the player's responses. */
  Scorm2004.prototype.recordedResponses = function () {
    var byInteraction = {}, out = {}, ids = Object.keys(this.items);
    for (var i = 0; i < ids.length; i++) byInteraction[this.items[ids[i]].interaction] = ids[i];
    var known = Object.keys(this.index);
    for (var j = 0; j < known.length; j++) {
      var itemId = byInteraction[known[j]];
      if (!itemId) continue;
      var value = this.lms.get("cmi.interactions." + this.index[known[j]] + ".learner_response");
      out[itemId] = this.decode(this.items[itemId], value || "");
    }
    return out;
  };

  /* A learner_response back in the player's shape (see player.js), by its item's record
     in course-data.json. */
  Scorm2004.prototype.decode = function (info, value) {
    function inverse(table) {
      var back = {}, keys = Object.keys(table || {});
      for (var k = 0; k < keys.length; k++) back[table[keys[k]]] = keys[k];
      return back;
    }
    var parts = value ? value.split(DELIMITER) : [], out, p;
    if (info.type === "fill-in") return value.replace(/^\{lang=[^}]*\}/, "");
    if (info.type === "numeric") return value;
    if (info.type === "matching") {
      var sources = inverse(info.sources), targets = inverse(info.targets);
      out = {};
      for (p = 0; p < parts.length; p++) {
        var pair = parts[p].split("[.]");
        if (pair.length === 2 && has(sources, pair[0]) && has(targets, pair[1])) {
          out[sources[pair[0]]] = targets[pair[1]];
        }
      }
      return out;
    }
    var ids = inverse(info.responses);
    out = [];
    for (p = 0; p < parts.length; p++) if (has(ids, parts[p])) out.push(ids[parts[p]]);
    return out;
  };

  Scorm2004.prototype.writeState = function (location, suspend, commit) {
    this.lms.set("cmi.location", location);
    this.lms.set("cmi.suspend_data", suspend);
    if (commit) this.lms.commit();
  };

  Scorm2004.prototype.recordInteraction = function (item, response, correct, when) {
    var encoder = ENCODERS[item.type];
    if (!encoder) return;
    var info = this.items[item.id] || {}, lms = this.lms;
    var rule = this.rules.items[item.id] || {};
    var id = info.interaction || item.id;
    var known = has(this.index, id);
    var n = known ? this.index[id] : this.count++;
    this.index[id] = n;
    var base = "cmi.interactions." + n + ".";
    if (!known) {
      lms.set(base + "id", id);
      lms.set(base + "type", encoder[0]);
      if (info.description) lms.set(base + "description", info.description);
      var patterns = encoder[2](this, item, rule);
      for (var k = 0; k < patterns.length; k++) {
        lms.set(base + "correct_responses." + k + ".pattern", patterns[k]);
      }
      lms.set(base + "weighting", "1");
    }
    lms.set(base + "learner_response", this[encoder[1]](item, response));
    lms.set(base + "result", correct ? "correct" : "incorrect");
    lms.set(base + "timestamp", timestamp(when));
  };

  Scorm2004.prototype.setScore = function (pr) {
    var lms = this.lms, success = "unknown";
    lms.set("cmi.completion_status", pr.allVisited ? "completed" : "incomplete");
    if (!pr.hasQuiz) success = pr.allVisited ? "passed" : "unknown";
    else if (pr.final) success = pr.pass ? "passed" : "failed";
    lms.set("cmi.success_status", success);
    lms.set("cmi.progress_measure",
            pr.chapterCount ? scorm.decimal(pr.visited / pr.chapterCount, 4) : "1");
    if (pr.final) {
      lms.set("cmi.score.min", "0");
      lms.set("cmi.score.max", "100");
      lms.set("cmi.score.raw", String(pr.score));
      lms.set("cmi.score.scaled", scorm.decimal(pr.score / 100, 2));
    }
  };

  Scorm2004.prototype.finish = function (summary) {
    if (summary) {
      this.lms.set("cmi.exit", summary.done ? "normal" : "suspend");
      this.lms.set("cmi.session_time", duration(summary.spentMs));
      this.lms.commit();
    }
    this.lms.finish();
  };

  cx.registerAdapter("scorm2004", function (context) { return new Scorm2004(context); });
  cx.scorm2004 = {duration: duration, timestamp: timestamp, localized: localized};
})();
