/*
 * A strict LMS side for the test harness (lms_harness.py): every LMSSetValue / SetValue is
 * checked against the data model tables of the SCORM 1.2 Run-Time Environment (section
 * 3.4: its elements, and its data types in 3.4.5) and of the SCORM 2004 4th Edition RTE
 * (section 4: its data types, and its elements in 4.2) before scorm-again sees it. scorm-again is deliberately lenient
 * (its source says so for the 1.2 CMIIdentifier, CMIFeedback, suspend_data and CMIInteger);
 * an LMS that checks data types refuses those calls, and so does this layer: the call
 * answers "false", GetLastError gives the standard's code and the refusal is recorded in
 * the list handed to wrap().
 *
 * Readings of the standards made here (and only here):
 * - 1.2 CMIIdentifier "alphanumeric ... no white space or unprintable characters": letters,
 *   digits, "-" and "_", 1 to 255 characters.
 * - 1.2 choice responses: single characters 0-9 / a-z, comma-separated; a correct pattern
 *   may be enclosed in "{...}" (every listed choice required).
 * - 1.2 scores: CMIDecimal from 0 to 100, or blank.
 * - 2004 identifiers: RFC 3986 URI characters (unreserved, reserved, percent-escapes),
 *   no white space; "urn:" identifiers need a namespace id; at most the SPM characters.
 * - 2004 characterstrings and sets longer than their smallest permitted maximum (SPM) are
 *   refused (an LMS needs to keep no more).
 * - 2004 fill-in: an array of at most 10 localized strings ("[,]"), each at most 250
 *   characters after an optional {lang=...} and not opening with "{"; a pattern may open
 *   with {case_matters=true|false} and {order_matters=true|false}, once each.
 * - 2004 matching: at most 36 "source[.]target" records of short identifiers, "[,]".
 * - 2004 numeric: a learner response is a real number; a pattern a real number or
 *   "min[:]max" (an end may be empty, min not above max); true-false, likert, numeric and
 *   other interactions take one correct pattern (correct_responses.0).
 */
(function () {
  "use strict";

  /* ------------------------------------------------------------ shared pieces */

  function ok() { return null; }
  function fail(code, reason) { return {code: code, reason: reason}; }

  function matches(re, what) {
    return function (value) { return re.test(value) ? null : fail(null, "not " + what); };
  }
  function maxLength(n) {
    return function (value) {
      return value.length <= n ? null : fail(null, "longer than " + n + " characters");
    };
  }
  function vocabulary(words) {
    return function (value) {
      return words.indexOf(value) >= 0 ? null
        : fail(null, "not one of " + words.map(function (w) { return '"' + w + '"'; }).join(", "));
    };
  }
  function range(low, high, numberRe) {
    return function (value) {
      if (!numberRe.test(value)) return fail(null, "not a decimal number");
      var n = parseFloat(value);
      return n >= low && n <= high ? null
        : fail("range", "outside " + low + " to " + high);
    };
  }
  function all() {
    var checks = Array.prototype.slice.call(arguments);
    return function (value, context) {
      for (var i = 0; i < checks.length; i++) {
        var problem = checks[i](value, context);
        if (problem) return problem;
      }
      return null;
    };
  }

  /* ------------------------------------------------------------------ SCORM 1.2 */

  var DECIMAL_12 = /^-?[0-9]+(\.[0-9]+)?$/;
  var T12 = {
    string255: maxLength(255),
    string4096: maxLength(4096),
    identifier: matches(/^[A-Za-z0-9_-]{1,255}$/, "a CMIIdentifier (letters, digits, - and _, 1 to 255)"),
    decimal: matches(DECIMAL_12, "a CMIDecimal"),
    score: function (value) { return value === "" ? null : range(0, 100, DECIMAL_12)(value); },
    time: matches(/^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,2})?$/, "a CMITime (HH:MM:SS.SS)"),
    timespan: matches(/^[0-9]{2,4}:[0-5][0-9]:[0-5][0-9](\.[0-9]{1,2})?$/,
                      "a CMITimespan (HHHH:MM:SS.SS)"),
    sinteger: function (low, high) { return range(low, high, /^-?[0-9]+$/); },
    status: vocabulary(["passed", "completed", "failed", "incomplete", "browsed"]),
    objectiveStatus: vocabulary(["passed", "completed", "failed", "incomplete", "browsed",
                                 "not attempted"]),
    exit: vocabulary(["time-out", "suspend", "logout", ""]),
    type: vocabulary(["true-false", "choice", "fill-in", "matching", "performance",
                      "sequencing", "likert", "numeric"]),
    result: function (value) {
      return ["correct", "wrong", "unanticipated", "neutral"].indexOf(value) >= 0 ||
        DECIMAL_12.test(value) ? null : fail(null, "not a result (correct, wrong, " +
                                                   "unanticipated, neutral or a CMIDecimal)");
    }
  };

  var CHARACTERS_12 = /^[0-9a-z](,[0-9a-z])*$/;
  var FEEDBACK_12 = {
    "true-false": /^[01tf]$/,
    choice: CHARACTERS_12,
    sequencing: CHARACTERS_12,
    likert: /^[0-9a-z]?$/,
    matching: /^[0-9a-z]\.[0-9a-z](,[0-9a-z]\.[0-9a-z])*$/,
    numeric: DECIMAL_12
  };

  /* CMIFeedback: a CMIString255 formatted by the interaction's type. */
  function feedback12(isPattern) {
    return function (value, context) {
      if (value.length > 255) return fail(null, "longer than 255 characters");
      var re = FEEDBACK_12[context.type];
      if (!re) return null; /* fill-in, performance, or no type yet: a CMIString255 */
      var body = value;
      if (isPattern && /^\{.*\}$/.test(value) && context.type !== "true-false") {
        body = value.slice(1, -1);
      }
      if (!re.test(body)) {
        return fail(null, "not a " + context.type + " response: " +
                    (context.type === "choice" ? "single characters 0-9 or a-z separated by commas"
                                               : String(re)));
      }
      return null;
    };
  }

  /* element pattern ("n" for an index) -> [access, check] */
  var TABLE_12 = {
    "cmi.core._children": ["r"], "cmi.core.student_id": ["r"], "cmi.core.student_name": ["r"],
    "cmi.core.lesson_location": ["rw", T12.string255], "cmi.core.credit": ["r"],
    "cmi.core.lesson_status": ["rw", T12.status], "cmi.core.entry": ["r"],
    "cmi.core.score._children": ["r"], "cmi.core.score.raw": ["rw", T12.score],
    "cmi.core.score.max": ["rw", T12.score], "cmi.core.score.min": ["rw", T12.score],
    "cmi.core.total_time": ["r"], "cmi.core.lesson_mode": ["r"],
    "cmi.core.exit": ["w", T12.exit], "cmi.core.session_time": ["w", T12.timespan],
    "cmi.suspend_data": ["rw", T12.string4096], "cmi.launch_data": ["r"],
    "cmi.comments": ["rw", T12.string4096], "cmi.comments_from_lms": ["r"],
    "cmi.objectives._children": ["r"], "cmi.objectives._count": ["r"],
    "cmi.objectives.n.id": ["rw", T12.identifier],
    "cmi.objectives.n.score._children": ["r"], "cmi.objectives.n.score.raw": ["rw", T12.score],
    "cmi.objectives.n.score.max": ["rw", T12.score], "cmi.objectives.n.score.min": ["rw", T12.score],
    "cmi.objectives.n.status": ["rw", T12.objectiveStatus],
    "cmi.student_data._children": ["r"], "cmi.student_data.mastery_score": ["r"],
    "cmi.student_data.max_time_allowed": ["r"], "cmi.student_data.time_limit_action": ["r"],
    "cmi.student_preference._children": ["r"],
    "cmi.student_preference.audio": ["rw", T12.sinteger(-1, 100)],
    "cmi.student_preference.language": ["rw", T12.string255],
    "cmi.student_preference.speed": ["rw", T12.sinteger(-100, 100)],
    "cmi.student_preference.text": ["rw", T12.sinteger(-1, 1)],
    "cmi.interactions._children": ["r"], "cmi.interactions._count": ["r"],
    "cmi.interactions.n.id": ["w", T12.identifier],
    "cmi.interactions.n.objectives._count": ["r"],
    "cmi.interactions.n.objectives.n.id": ["w", T12.identifier],
    "cmi.interactions.n.time": ["w", T12.time],
    "cmi.interactions.n.type": ["w", T12.type],
    "cmi.interactions.n.correct_responses._count": ["r"],
    "cmi.interactions.n.correct_responses.n.pattern": ["w", feedback12(true)],
    "cmi.interactions.n.weighting": ["w", T12.decimal],
    "cmi.interactions.n.student_response": ["w", feedback12(false)],
    "cmi.interactions.n.result": ["w", T12.result],
    "cmi.interactions.n.latency": ["w", T12.timespan]
  };
  /* error codes: 401 not implemented, 402 keyword, 403 read-only, 405 incorrect data type */
  var CODES_12 = {unknown: "401", keyword: "402", readOnly: "403", type: "405", range: "405",
                  dependency: "405", general: "101"};

  /* ----------------------------------------------------------------- SCORM 2004 */

  var REAL = /^-?[0-9]+(\.[0-9]+)?$/; /* real(10,7): a decimal number, no exponent */
  /* RFC 3986: unreserved, gen-delims, sub-delims and percent-escapes; no white space */
  var URI = /^([A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/;
  var LANGUAGE = /^([A-Za-z]{2,3}|[ix])(-[A-Za-z0-9]{2,8})*$/;

  function identifier(spm) {
    return function (value) {
      if (!value.length || value.length > spm) {
        return fail(null, "an identifier has 1 to " + spm + " characters");
      }
      if (!URI.test(value) || value.indexOf("[,]") >= 0) {
        return fail(null, "not a URI (RFC 3986): identifiers have no spaces, accents or " +
                    "characters such as < > \" { } | \\ ^ `");
      }
      if (/^urn:/i.test(value) && !/^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:.+$/i.test(value)) {
        return fail(null, "a urn: identifier needs a namespace id and a name");
      }
      return null;
    };
  }
  var SHORT_ID = identifier(250), LONG_ID = identifier(4000);

  function characterstring(spm) { return maxLength(spm); }

  function localized(spm) {
    return function (value) {
      var text = value;
      if (value.indexOf("{lang=") === 0) {
        var end = value.indexOf("}");
        var tag = end > 0 ? value.slice(6, end) : "";
        if (!LANGUAGE.test(tag)) return fail(null, "a {lang=...} delimiter without a language");
        text = value.slice(end + 1);
      }
      return text.length <= spm ? null : fail(null, "longer than " + spm + " characters");
    };
  }

  var T04 = {
    real: matches(REAL, "a real number"),
    realIn: function (low, high) { return range(low, high, REAL); },
    time: matches(new RegExp(
      "^(19[7-9][0-9]|20[0-2][0-9]|203[0-8])(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])" +
      "(T([01][0-9]|2[0-3])(:[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,2})?)?)?" +
      "(Z|[+-]([01][0-9]|2[0-3])(:[0-5][0-9])?)?)?)?)?$"), "a time (second,10,0) in ISO 8601"),
    timeinterval: function (value) {
      var re = /^P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]{1,2})?)S)?)?$/;
      var m = re.exec(value);
      var any = m && m.slice(1).some(function (part) { return part !== undefined; });
      var emptyTime = /T$/.test(value);
      return m && any && !emptyTime ? null
        : fail(null, "not a timeinterval (second,10,2) such as PT1H2M3.45S");
    },
    completion: vocabulary(["completed", "incomplete", "not attempted", "unknown"]),
    success: vocabulary(["passed", "failed", "unknown"]),
    exit: vocabulary(["time-out", "suspend", "logout", "normal", ""]),
    type: vocabulary(["true-false", "choice", "fill-in", "long-fill-in", "matching",
                      "performance", "sequencing", "likert", "numeric", "other"]),
    result: function (value) {
      return ["correct", "incorrect", "unanticipated", "neutral"].indexOf(value) >= 0 ||
        REAL.test(value) ? null : fail(null, "not a result (correct, incorrect, " +
                                             "unanticipated, neutral or a real number)");
    },
    language: function (value) {
      return value === "" || LANGUAGE.test(value) ? null : fail(null, "not a language_type");
    },
    nav: matches(/^(continue|previous|exit|exitAll|abandon|abandonAll|suspendAll|_none_|\{target=[^}]+\}(choice|jump))$/,
                 "a navigation request")
  };

  /* A set of short identifiers separated by "[,]" (choice, sequencing), SPM 36. */
  function identifierSet(unique) {
    return function (value) {
      var parts = value.split("[,]");
      if (parts.length > 36) return fail(null, "more than 36 identifiers");
      var seen = {};
      for (var i = 0; i < parts.length; i++) {
        var problem = SHORT_ID(parts[i]);
        if (problem) return fail(null, "identifier '" + parts[i] + "': " + problem.reason);
        if (unique && seen[parts[i]]) return fail(null, "'" + parts[i] + "' given twice");
        seen[parts[i]] = true;
      }
      return null;
    };
  }

  /* One localized string of a fill-in array: an optional {lang=...} delimiter, then text
     that does not open with "{" (it would read as a delimiter), at most spm characters. */
  function localizedEntry(spm) {
    return function (value) {
      var text = value;
      if (value.indexOf("{lang=") === 0) {
        var end = value.indexOf("}");
        if (end < 0 || !LANGUAGE.test(value.slice(6, end))) {
          return fail(null, "a {lang=...} delimiter without a language");
        }
        text = value.slice(end + 1);
      }
      if (text.charAt(0) === "{") return fail(null, "'" + text + "' opens with '{' but is no delimiter");
      return text.length <= spm ? null : fail(null, "an entry longer than " + spm + " characters");
    };
  }

  /* A fill-in learner response or pattern: an array of localized strings separated by
     "[,]", at most 10 (the SPM). A pattern may open with {case_matters=true|false} and
     {order_matters=true|false}, each once, in either order. */
  function fillIn(isPattern) {
    var entry = localizedEntry(250);
    return function (value) {
      var rest = value, seen = {};
      while (isPattern) {
        var m = /^\{(case_matters|order_matters)=([^}]*)\}/.exec(rest);
        if (!m) break;
        if (seen[m[1]]) return fail(null, "{" + m[1] + "=...} given twice");
        if (m[2] !== "true" && m[2] !== "false") {
          return fail(null, "{" + m[1] + "=" + m[2] + "}: the value is true or false");
        }
        seen[m[1]] = true;
        rest = rest.slice(m[0].length);
      }
      if (isPattern && rest === "") return null;
      var parts = rest.split("[,]");
      if (parts.length > 10) return fail(null, "more than 10 strings");
      for (var i = 0; i < parts.length; i++) {
        var problem = entry(parts[i]);
        if (problem) return problem;
      }
      return null;
    };
  }

  /* A matching response or pattern: records "source[.]target" of short identifiers,
     separated by "[,]", at most 36. */
  function matching(value) {
    var records = value.split("[,]");
    if (records.length > 36) return fail(null, "more than 36 records");
    for (var i = 0; i < records.length; i++) {
      var pair = records[i].split("[.]");
      if (pair.length !== 2) return fail(null, "'" + records[i] + "' is not a source[.]target record");
      for (var k = 0; k < 2; k++) {
        var problem = SHORT_ID(pair[k]);
        if (problem) return fail(null, "identifier '" + pair[k] + "': " + problem.reason);
      }
    }
    return null;
  }

  /* A numeric pattern: a real number, or a range "min[:]max" (either end may be left
     out) whose min is not above its max. */
  function numericRange(value) {
    if (REAL.test(value)) return null;
    var ends = value.split("[:]");
    if (ends.length !== 2 || !(ends[0] === "" || REAL.test(ends[0])) ||
        !(ends[1] === "" || REAL.test(ends[1])) || (ends[0] === "" && ends[1] === "")) {
      return fail(null, "not a numeric range (min[:]max)");
    }
    if (ends[0] !== "" && ends[1] !== "" && parseFloat(ends[0]) > parseFloat(ends[1])) {
      return fail(null, "a range whose min is above its max");
    }
    return null;
  }

  var RESPONSES_04 = {
    "true-false": vocabulary(["true", "false"]),
    choice: identifierSet(true),
    "fill-in": fillIn(false),
    matching: matching,
    sequencing: identifierSet(false),
    likert: SHORT_ID,
    numeric: matches(REAL, "a real number"),
    "long-fill-in": localized(4000),
    other: characterstring(4000)
  };
  var PATTERNS_04 = {"fill-in": fillIn(true), numeric: numericRange};
  /* interaction types whose correct_responses hold one pattern only */
  var ONE_PATTERN_04 = ["true-false", "likert", "numeric", "other"];

  function response04(isPattern) {
    return function (value, context) {
      if (!context.type) return fail("dependency", "the interaction has no type yet");
      if (isPattern && context.pattern > 0 && ONE_PATTERN_04.indexOf(context.type) >= 0) {
        return fail("general", "a " + context.type + " interaction has one correct pattern");
      }
      var check = isPattern && PATTERNS_04[context.type] ? PATTERNS_04[context.type]
        : RESPONSES_04[context.type];
      if (!check) return value.length <= 4000 ? null : fail(null, "too long");
      return check(value);
    };
  }

  function needsId(check) {
    return function (value, context) {
      if (!context.id) return fail("dependency", "the interaction has no id yet");
      return check ? check(value, context) : null;
    };
  }

  var TABLE_04 = {
    "cmi._version": ["r"],
    "cmi.comments_from_learner._children": ["r"], "cmi.comments_from_learner._count": ["r"],
    "cmi.comments_from_learner.n.comment": ["rw", localized(4000)],
    "cmi.comments_from_learner.n.location": ["rw", characterstring(250)],
    "cmi.comments_from_learner.n.timestamp": ["rw", T04.time],
    "cmi.comments_from_lms._children": ["r"], "cmi.comments_from_lms._count": ["r"],
    "cmi.comments_from_lms.n.comment": ["r"], "cmi.comments_from_lms.n.location": ["r"],
    "cmi.comments_from_lms.n.timestamp": ["r"],
    "cmi.completion_status": ["rw", T04.completion], "cmi.completion_threshold": ["r"],
    "cmi.credit": ["r"], "cmi.entry": ["r"], "cmi.exit": ["w", T04.exit],
    "cmi.interactions._children": ["r"], "cmi.interactions._count": ["r"],
    "cmi.interactions.n.id": ["rw", LONG_ID],
    "cmi.interactions.n.type": ["rw", needsId(T04.type)],
    "cmi.interactions.n.objectives._count": ["r"],
    "cmi.interactions.n.objectives.n.id": ["rw", needsId(LONG_ID)],
    "cmi.interactions.n.timestamp": ["rw", needsId(T04.time)],
    "cmi.interactions.n.correct_responses._count": ["r"],
    "cmi.interactions.n.correct_responses.n.pattern": ["rw", needsId(response04(true))],
    "cmi.interactions.n.weighting": ["rw", needsId(T04.real)],
    "cmi.interactions.n.learner_response": ["rw", needsId(response04(false))],
    "cmi.interactions.n.result": ["rw", needsId(T04.result)],
    "cmi.interactions.n.latency": ["rw", needsId(T04.timeinterval)],
    "cmi.interactions.n.description": ["rw", needsId(localized(250))],
    "cmi.launch_data": ["r"], "cmi.learner_id": ["r"], "cmi.learner_name": ["r"],
    "cmi.learner_preference._children": ["r"],
    "cmi.learner_preference.audio_level": ["rw", T04.realIn(0, 1e10)],
    "cmi.learner_preference.language": ["rw", T04.language],
    "cmi.learner_preference.delivery_speed": ["rw", T04.realIn(0, 1e10)],
    "cmi.learner_preference.audio_captioning": ["rw", vocabulary(["-1", "0", "1"])],
    "cmi.location": ["rw", characterstring(1000)],
    "cmi.max_time_allowed": ["r"], "cmi.mode": ["r"],
    "cmi.objectives._children": ["r"], "cmi.objectives._count": ["r"],
    "cmi.objectives.n.id": ["rw", LONG_ID],
    "cmi.objectives.n.score._children": ["r"],
    "cmi.objectives.n.score.scaled": ["rw", T04.realIn(-1, 1)],
    "cmi.objectives.n.score.raw": ["rw", T04.real], "cmi.objectives.n.score.min": ["rw", T04.real],
    "cmi.objectives.n.score.max": ["rw", T04.real],
    "cmi.objectives.n.success_status": ["rw", T04.success],
    "cmi.objectives.n.completion_status": ["rw", T04.completion],
    "cmi.objectives.n.progress_measure": ["rw", T04.realIn(0, 1)],
    "cmi.objectives.n.description": ["rw", localized(250)],
    "cmi.progress_measure": ["rw", T04.realIn(0, 1)], "cmi.scaled_passing_score": ["r"],
    "cmi.score._children": ["r"], "cmi.score.scaled": ["rw", T04.realIn(-1, 1)],
    "cmi.score.raw": ["rw", T04.real], "cmi.score.min": ["rw", T04.real],
    "cmi.score.max": ["rw", T04.real], "cmi.session_time": ["w", T04.timeinterval],
    "cmi.success_status": ["rw", T04.success], "cmi.suspend_data": ["rw", characterstring(64000)],
    "cmi.time_limit_action": ["r"], "cmi.total_time": ["r"],
    "adl.nav.request": ["rw", T04.nav]
  };
  /* 401 undefined element, 404 read-only, 406 type mismatch, 407 out of range, 408 dependency */
  var CODES_04 = {unknown: "401", keyword: "404", readOnly: "404", type: "406", range: "407",
                  dependency: "408", general: "351"};

  /* ------------------------------------------------------------------ the layer */

  function interactionIndex(element) {
    var m = /^cmi\.interactions\.([0-9]+)\./.exec(element);
    return m ? m[1] : null;
  }

  /* One check: null when the standard allows it, else {code, reason}. ``known`` looks up
     what the LMS already holds (interaction types and ids set earlier or on launch). */
  function check(version, element, value, known) {
    var table = version === "1.2" ? TABLE_12 : TABLE_04;
    var codes = version === "1.2" ? CODES_12 : CODES_04;
    element = String(element);
    value = value === null || value === undefined ? "" : String(value);
    var pattern = element.replace(/\.[0-9]+\./g, ".n.").replace(/\.[0-9]+\./g, ".n.");
    var entry = table[pattern];
    if (!entry) {
      if (/\._(children|count|version)$/.test(element)) {
        return {code: codes.keyword, reason: element + " is a keyword, read-only"};
      }
      return {code: codes.unknown, reason: element + " is not in the data model"};
    }
    if (entry[0] === "r") {
      return {code: codes.readOnly, reason: element + " is read-only"};
    }
    var n = interactionIndex(element);
    var pattern = /\.correct_responses\.([0-9]+)\.pattern$/.exec(element);
    var context = n === null ? {} : {type: known.type(n), id: known.id(n),
                                     pattern: pattern ? Number(pattern[1]) : null};
    var problem = entry[1] ? entry[1](value, context) : null;
    if (!problem) return null;
    return {code: codes[problem.code || "type"],
            reason: element + " = " + JSON.stringify(value.length > 80 ? value.slice(0, 80) + "…"
                                                                       : value) +
                    ": " + problem.reason};
  }

  var NAMES = {
    "1.2": {set: "LMSSetValue", error: "LMSGetLastError", string: "LMSGetErrorString",
            diagnostic: "LMSGetDiagnostic",
            others: ["LMSInitialize", "LMSFinish", "LMSGetValue", "LMSCommit"]},
    "2004": {set: "SetValue", error: "GetLastError", string: "GetErrorString",
             diagnostic: "GetDiagnostic",
             others: ["Initialize", "Terminate", "GetValue", "Commit"]}
  };

  /* Make ``api`` (a scorm-again API object) strict. Refusals are pushed on ``refused`` as
     {element, value, code, reason}. Returns {lastError(): code or null}. */
  function wrap(api, version, refused) {
    var names = NAMES[version], current = null;
    var types = {}, ids = {};
    function held(n, field) {
      var flat = api.getFlattenedCMI ? api.getFlattenedCMI() : {};
      var value = flat["cmi.interactions." + n + "." + field];
      return value === undefined || value === null ? "" : String(value);
    }
    var known = {
      type: function (n) { return types[n] || held(n, "type"); },
      id: function (n) { return ids[n] || held(n, "id"); }
    };
    var set = api[names.set].bind(api);
    api[names.set] = function (element, value) {
      current = check(version, element, value, known);
      if (current) {
        refused.push({element: String(element), value: String(value), code: current.code,
                      reason: current.reason});
        return "false";
      }
      var result = set(element, value);
      var n = interactionIndex(String(element));
      if (String(result) === "true" && n !== null) {
        if (/\.type$/.test(element) && !/objectives/.test(element)) types[n] = String(value);
        if (/^cmi\.interactions\.[0-9]+\.id$/.test(element)) ids[n] = String(value);
      }
      return result;
    };
    names.others.forEach(function (name) {
      var orig = api[name].bind(api);
      api[name] = function () { current = null; return orig.apply(null, arguments); };
    });
    var error = api[names.error].bind(api);
    api[names.error] = function () { return current ? current.code : error(); };
    var string = api[names.string].bind(api);
    api[names.string] = function (code) {
      return current && String(code) === current.code ? "Strict data model check failed"
        : string(code);
    };
    var diagnostic = api[names.diagnostic].bind(api);
    api[names.diagnostic] = function (code) {
      return current && (code === "" || code === undefined || String(code) === current.code)
        ? current.reason : diagnostic(code);
    };
    return {lastError: function () { return current ? current.code : null; }};
  }

  window.CxStrictScorm = {wrap: wrap, check: check};
})();
