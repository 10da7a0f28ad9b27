/*
 * cxbook course player: the SCORM 1.2 tracking adapter (the interface is described in
 * player.js). Everything here is written in the SCORM 1.2 RTE data model's own types:
 *
 *   cmi.core.lesson_location   CMIString255: the page's id (its number when longer)
 *   cmi.suspend_data           CMIString4096: the player's saved state
 *   cmi.core.lesson_status     passed | failed | incomplete (a score only once final)
 *   cmi.core.score.raw/min/max CMIDecimal 0-100
 *   cmi.core.exit              "" when the course is finished, else suspend
 *   cmi.core.session_time      CMITimespan HHHH:MM:SS.SS
 *   cmi.interactions.n.*       write-only in 1.2, so each check appends a record (a
 *                              journal): id (CMIIdentifier, from course-data.json), type
 *                              (choice, fill-in, numeric, matching, sequencing),
 *                              correct_responses.n.pattern and student_response as the
 *                              type's CMIFeedback (at most 255 characters):
 *                              choice      single characters by the choice's position (a
 *                                          for the first ... z for the 26th, then 0 to
 *                                          9), comma-separated in choice order;
 *                              fill-in     the text; one pattern per accepted answer;
 *                              numeric     a CMIDecimal; the pattern is the answer shown,
 *                                          written only when the question gives one;
 *                              matching    "1.b" pairs, comma-separated: the prompt by its
 *                                          position (1 to 9, then a to z, then 0) and the
 *                                          target by its position as choices are;
 *                              sequencing  the entries' characters by their position as
 *                                          the page lists them, in the learner's order;
 *                              result correct | wrong; time CMITime (the learner's clock);
 *                              weighting 1.
 *   cmi.core.student_id        read: the learner id, which seeds shuffled choices
 *
 * In review and browse modes (cmi.core.lesson_mode) the player writes nothing; this
 * adapter then reads what the LMS recorded (lesson_status, score.raw) for the page to show.
 */
(function () {
  "use strict";

  var cx = window.cxcourse, scorm = cx.scorm;
  var CALLS = {initialize: "LMSInitialize", finish: "LMSFinish", get: "LMSGetValue",
               set: "LMSSetValue", commit: "LMSCommit", error: "LMSGetLastError"};
  var CHOICE_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789";
  var SOURCE_CHARACTERS = "123456789abcdefghijklmnopqrstuvwxyz0";
  var FEEDBACK_LENGTH = 255; /* CMIFeedback is a CMIString255 */

  /* The choice response: one character per selected choice, in choice order. */
  function characters(item, selected) {
    var out = [];
    for (var k = 0; k < item.choices.length && k < CHOICE_CHARACTERS.length; k++) {
      if (selected.indexOf(item.choices[k]) >= 0) out.push(CHOICE_CHARACTERS.charAt(k));
    }
    return out.join(",");
  }

  /* Text cut to a CMIFeedback's 255 characters (never in the middle of a character). */
  function feedbackText(text) {
    var out = String(text);
    if (out.length <= FEEDBACK_LENGTH) return out;
    out = out.slice(0, FEEDBACK_LENGTH);
    return /[\ud800-\udbff]$/.test(out) ? out.slice(0, -1) : out;
  }

  /* Matching pairs: "1.b" for each matched prompt, in the prompts' order. */
  function pairs(item, matched) {
    var out = [];
    for (var p = 0; p < item.prompts.length && p < SOURCE_CHARACTERS.length; p++) {
      var t = Object.prototype.hasOwnProperty.call(matched, item.prompts[p])
        ? item.targets.indexOf(matched[item.prompts[p]]) : -1;
      if (t >= 0 && t < CHOICE_CHARACTERS.length) {
        out.push(SOURCE_CHARACTERS.charAt(p) + "." + CHOICE_CHARACTERS.charAt(t));
      }
    }
    return out.join(",");
  }

  /* A sequence: each entry's character by its place on the page, in the given order. */
  function sequence(item, order) {
    var out = [];
    for (var i = 0; i < order.length; i++) {
      var e = item.entries.indexOf(order[i]);
      if (e >= 0 && e < CHOICE_CHARACTERS.length) out.push(CHOICE_CHARACTERS.charAt(e));
    }
    return out.join(",");
  }

  /* CMITimespan: HHHH:MM:SS.SS (at most 9999 hours). */
  function timespan(ms) {
    var cs = Math.min(Math.round(ms / 10), 9999 * 360000 + 359999);
    var h = Math.floor(cs / 360000), m = Math.floor(cs / 6000) % 60;
    var s = Math.floor(cs / 100) % 60, f = cs % 100;
    return scorm.pad(h, 4) + ":" + scorm.pad(m, 2) + ":" + scorm.pad(s, 2) + "." +
      scorm.pad(f, 2);
  }

  /* CMITime: HH:MM:SS, the learner's clock time. */
  function clock(date) {
    return scorm.pad(date.getHours(), 2) + ":" + scorm.pad(date.getMinutes(), 2) + ":" +
      scorm.pad(date.getSeconds(), 2);
  }

  /* lesson_status as the player's neutral terms */
  var SUCCESS = {passed: "passed", failed: "failed"};
  var COMPLETION = {passed: "completed", failed: "completed", completed: "completed",
                    incomplete: "incomplete", browsed: "incomplete",
                    "not attempted": "not attempted"};

  function Scorm12(context) {
    this.context = context;
    this.items = context.data ? context.data.items : {};
    this.rules = context.data ? context.data.rules : {items: {}};
    this.lms = null;
    this.lessonMode = "normal";
    this.count = 0;
    this.limits = {suspend: 4096, location: 255};
  }

  Scorm12.prototype.initialize = function () {
    var session = scorm.open("API", CALLS, "cmi.core.lesson_mode");
    if (!session) return false;
    this.lms = session.lms;
    this.lessonMode = session.mode; /* a missing or unknown mode: track as normal */
    this.count = session.interactions;
    return true;
  };

  Scorm12.prototype.mode = function () { return this.lessonMode; };

  Scorm12.prototype.readState = function () {
    var lms = this.lms, readOnly = this.lessonMode !== "normal";
    var entry = lms.get("cmi.core.entry");
    /* some 1.2 LMSs leave entry empty on a resume; review shows whatever was kept */
    var resume = entry === "resume" || entry === "" || readOnly;
    var state = {
      location: resume ? lms.get("cmi.core.lesson_location") : "",
      suspend: resume ? lms.get("cmi.suspend_data") : "",
      mastery: scorm.number(lms.get("cmi.student_data.mastery_score"), 0, 100),
      learner: lms.get("cmi.core.student_id"),
      recorded: null,
      responses: {}
    };
    if (readOnly) {
      var status = lms.get("cmi.core.lesson_status");
      var raw = scorm.number(lms.get("cmi.core.score.raw"), 0, 100);
      state.recorded = {
        score: raw === null ? null : Number(scorm.decimal(raw, 2)),
        success: SUCCESS[status] || "unknown",
        completion: COMPLETION[status] || "unknown"
      };
    }
    return state;
  };

  Scorm12.prototype.writeState = function (location, suspend, commit) {
    this.lms.set("cmi.core.lesson_location", location);
    this.lms.set("cmi.suspend_data", suspend);
    if (commit) this.lms.commit();
  };

  /* question type -> [its 1.2 interaction type, its response as a CMIFeedback, its correct
     patterns from the item's scoring rule and course-data.json's record] */
  var ENCODERS = {
    choice: ["choice", characters, function (item, rule) {
      return [characters(item, rule.correct || [])];
    }],
    "fill-in": ["fill-in", function (item, text) { return feedbackText(text); },
                function (item, rule) {
      return (rule.accepted || []).map(feedbackText);
    }],
    numeric: ["numeric", function (item, number) { return String(number); },
              function (item, rule, info) {
      return info.answer ? [info.answer] : [];
    }],
    matching: ["matching", pairs, function (item, rule) {
      return [pairs(item, rule.pairs || {})];
    }],
    ordering: ["sequencing", sequence, function (item, rule) {
      return [sequence(item, rule.sequence || [])];
    }]
  };

  Scorm12.prototype.recordInteraction = function (item, response, correct, when) {
    var encoder = ENCODERS[item.type];
    if (!encoder) return;
    var info = this.items[item.id] || {};
    var rule = this.rules.items[item.id] || {};
    var base = "cmi.interactions." + this.count++ + ".";
    var lms = this.lms;
    lms.set(base + "id", info.interaction || item.id);
    lms.set(base + "type", encoder[0]);
    var patterns = encoder[2](item, rule, info);
    for (var n = 0; n < patterns.length; n++) {
      lms.set(base + "correct_responses." + n + ".pattern", patterns[n]);
    }
    lms.set(base + "weighting", "1");
    lms.set(base + "student_response", encoder[1](item, response));
    lms.set(base + "result", correct ? "correct" : "wrong");
    lms.set(base + "time", clock(when));
  };

  Scorm12.prototype.setScore = function (pr) {
    /* 1.2 has one status: a score is final only once every chapter was visited too */
    var final = pr.final && pr.allVisited, status = "incomplete";
    if (!pr.hasQuiz) status = pr.allVisited ? "passed" : "incomplete";
    else if (final) status = pr.pass ? "passed" : "failed";
    this.lms.set("cmi.core.lesson_status", status);
    if (final) {
      this.lms.set("cmi.core.score.min", "0");
      this.lms.set("cmi.core.score.max", "100");
      this.lms.set("cmi.core.score.raw", String(pr.score));
    }
  };

  Scorm12.prototype.finish = function (summary) {
    if (summary) {
      this.lms.set("cmi.core.exit", summary.done ? "" : "suspend");
      this.lms.set("cmi.core.session_time", timespan(summary.spentMs));
      this.lms.commit();
    }
    this.lms.finish();
  };

  cx.registerAdapter("scorm12", function (context) { return new Scorm12(context); });
  cx.scorm12 = {characters: characters, pairs: pairs, sequence: sequence, timespan: timespan,
                clock: clock};
})();
