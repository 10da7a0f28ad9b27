/*
 * cxbook course player: the one logic of the course page — pages, answers, scoring,
 * progress and saved state — whatever keeps the learner's progress. Where progress goes
 * (a SCORM 1.2 or 2004 LMS, a cmi5 LMS's xAPI endpoint, the browser's local storage) is
 * a tracking adapter's business (track-*.js): the player never speaks an LMS data model.
 * No framework, no network beyond the package's own data file (an adapter may have its
 * own).
 *
 * Scoring follows src/cxbook/scoring.py exactly, from the rules in cxbook/course-data.json
 * (its module docstring states them per question type): a choice item is right when the
 * selected choice ids equal its correct ids; a fill-in item when the text's key (NFKC,
 * white space made single spaces and trimmed, curly quotes made straight, case ignored
 * unless it matters) equals an accepted answer's; a numeric item when the number it reads
 * lies from low to high (exact decimal comparison); a matching item when every prompt is
 * matched to its target and nothing else; an ordering item when the order is the item's.
 * No partial credit; unanswered is wrong; score = floor(100 * right / total + 0.5); pass
 * when score >= mastery; a course without items has no score and passes when completed.
 * An item is answered once it is checked with an answer (a selection, a text, a number, a
 * match, an order).
 *
 * Saved state (the adapter keeps it as one string), compact, ASCII and versioned:
 *   c2.<key>.<seed>.<page>.<visited>.<answers>
 * key: structure fingerprint; seed: the learner's shuffling seed, 4 base-36 digits; page:
 * base 36; visited: chapter bitset, 5 bits per base-36 digit; answers: per quiz item (page
 * order): a choice item a fixed-width base-36 number, 0 = not answered, else 1 + bitmask of
 * the selected choices; a matching item one base-36 digit per prompt (0 = not matched, k =
 * the k-th target); an ordering item one digit per place (0s = not answered, else 1 + the
 * entry's index as the page first lists them); a fill-in or numeric item two base-36
 * digits of length, then its text with every character outside [A-Za-z0-9 .,;:!?'()*+/=@_-]
 * written as "~" and 4 base-36 digits of its code point. Trailing zero digits are dropped.
 * (c1, the form before other question types, is still read for courses of choice items.)
 *
 * Shuffling: an item marked data-shuffle shows its choices (matching: the targets in each
 * list; ordering: the entries) in an order drawn from the seed and the item's id. The seed
 * is the saved one, else one made from the learner id the tracker gives, else a random one;
 * it is saved with the state, so a resume shows the same order.
 *
 * ---------------------------------------------------------------- tracking adapters
 * The page names the adapters its package ships, in the order to try them
 * (main[data-cx-tracking], e.g. "scorm12 local"). Each track-*.js registers a factory:
 *
 *   cxcourse.registerAdapter(name, function (context) { return adapter; });
 *
 * context: {courseId: string, data: course-data.json (or null when it could not be
 * loaded), structure: {items: [item], pages, ...}}. An item is {id, type, ...}; its type
 * is the question type, and its lists hold ids in the order the page first lists them:
 *   "choice"    choices: [choice id]      response: [choice id] in choice order
 *   "fill-in"   -                          response: the text (white space collapsed)
 *   "numeric"   -                          response: the number, plain decimal ("-2.5")
 *   "matching"  prompts, targets: [id]     response: {prompt id: target id}
 *   "ordering"  entries: [entry id]        response: [entry id] in the learner's order
 * A new question type adds its type here, a response shape, and an encoder in each
 * adapter (adapters leave unknown types out). The player uses the first adapter whose
 * initialize() answers true. An adapter has:
 *
 *   initialize() -> boolean      connect; false when its runtime is not there (or a
 *                                promise of that boolean, for an adapter that must ask a
 *                                server first: the player waits for it)
 *   mode() -> "normal" | "review" | "browse"   review and browse are read-only: the
 *                                player then calls none of the writing methods below
 *   limits -> {suspend: n, location: n}   longest saved state and location it can keep
 *   readState() -> {location: string, suspend: string, mastery: percent or null,
 *                   learner: string (the learner's id, "" when unknown),
 *                   recorded: null or {score: percent or null,
 *                                      success: "passed" | "failed" | "unknown",
 *                                      completion: "completed" | "incomplete" |
 *                                                  "not attempted" | "unknown"},
 *                   responses: {item id: response}}
 *                                what was kept before: the saved state to resume, and
 *                                what the tracker recorded (shown in review mode)
 *   writeState(location, suspend, commit)   keep the state (commit: make it durable now)
 *   recordInteraction(item, response, correct, when)   a checked quiz item: item from
 *                                context.structure.items, its response (an answer, never
 *                                empty), correct: boolean, when: Date
 *   setScore(progress)           status and score; progress: {visited, chapterCount,
 *                                allVisited, answered, itemCount, allAnswered, hasQuiz,
 *                                score (percent or null), pass, final (the score will not
 *                                mislead a tracker that compares it with the mastery score)}
 *   finish(summary)              end the session exactly once; summary null in review
 *                                and browse modes (record nothing), else {progress,
 *                                spentMs, done (the learner has finished the course)}
 *
 * Data-model formats (1.2 characters, 2004 identifiers, time formats, vocabularies) live
 * in the adapter that needs them, from the tables course-data.json gives it.
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
  var SEED_SPACE = 1679616; /* 36^4 */
  var SAFE_CHARACTER = /^[A-Za-z0-9 .,;:!?'()*+\/=@_-]$/;
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

  function isStringList(value) {
    if (!Array.isArray(value)) return false;
    for (var i = 0; i < value.length; i++) if (typeof value[i] !== "string") return false;
    return true;
  }

  function isStringMap(value) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
    var keys = Object.keys(value);
    for (var i = 0; i < keys.length; i++) if (typeof value[keys[i]] !== "string") return false;
    return true;
  }

  /* ------------------------------------------------------------ text rules */

  /* The reading of fill-in and numeric responses, from the rules' "text" table (the same
     table scoring.py reads with): fill-in keys, numbers, exact decimal comparison. */
  function classOf(chars) {
    return "[" + chars.replace(/[\\\]\[^-]/g, "\\$&") + "]";
  }

  var textCache = {table: null, tools: null};

  function textTools(rules) {
    var table = rules && rules.text ? rules.text : null;
    if (textCache.table === table && textCache.tools) return textCache.tools;
    var ws = table ? table.whiteSpace : " \t\n\r\f\v";
    var quotes = table ? table.quotes : {};
    var spaces = new RegExp(classOf(ws) + "+", "g");
    var quoteChars = Object.keys(quotes).join("");
    var quoteRe = quoteChars ? new RegExp(classOf(quoteChars), "g") : null;
    var numberRe = new RegExp("^(?:" + (table ? table.number : "[+-]?[0-9]+") + ")$");
    var minus = table ? table.minus : "\u2212";

    /* White space made single spaces, the ends trimmed: how a typed answer is kept. */
    function collapse(text) {
      return String(text).replace(spaces, " ").replace(/^ +| +$/g, "");
    }

    function key(text, caseSensitive) {
      var out = collapse(String(text).normalize("NFKC"));
      if (quoteRe) out = out.replace(quoteRe, function (q) { return quotes[q]; });
      return caseSensitive ? out : out.toUpperCase().toLowerCase();
    }

    function number(text, unit) {
      var out = key(text, false).split(minus).join("-");
      if (unit) {
        var suffix = key(unit, false);
        if (suffix && out.length >= suffix.length &&
            out.slice(out.length - suffix.length) === suffix) {
          out = out.slice(0, out.length - suffix.length).replace(/ +$/, "");
        }
      }
      return numberRe.test(out) ? canonical(out.replace(",", ".")) : null;
    }

    textCache = {table: table, tools: {collapse: collapse, key: key, number: number}};
    return textCache.tools;
  }

  /* A decimal as scoring.number_text writes it: no "+", no needless zeros, "-0" is "0". */
  function canonical(text) {
    var negative = text.charAt(0) === "-";
    var body = text.replace(/^[+-]/, "");
    var parts = body.split(".");
    var whole = parts[0].replace(/^0+/, "") || "0";
    var fraction = (parts[1] || "").replace(/0+$/, "");
    var out = fraction ? whole + "." + fraction : whole;
    return negative && out !== "0" ? "-" + out : out;
  }

  /* Compare two canonical decimals exactly: -1, 0 or 1. */
  function compareDecimal(a, b) {
    var na = a.charAt(0) === "-", nb = b.charAt(0) === "-";
    if (na !== nb) return na ? -1 : 1;
    var pa = (na ? a.slice(1) : a).split("."), pb = (nb ? b.slice(1) : b).split(".");
    var order = 0;
    if (pa[0].length !== pb[0].length) order = pa[0].length < pb[0].length ? -1 : 1;
    else if (pa[0] !== pb[0]) order = pa[0] < pb[0] ? -1 : 1;
    else {
      var fa = pa[1] || "", fb = pb[1] || "";
      while (fa.length < fb.length) fa += "0";
      while (fb.length < fa.length) fb += "0";
      if (fa !== fb) order = fa < fb ? -1 : 1;
    }
    return na ? -order : order;
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

  function sameList(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /* An item's rule; a bare list is the rule of a choice item (before "type" existed). */
  function ruleOf(rules, itemId) {
    var rule = rules && rules.items && has(rules.items, itemId) ? rules.items[itemId] : null;
    return Array.isArray(rule) ? {type: "choice", correct: rule} : rule;
  }

  function shaped(rule, response) {
    if (rule.type === "fill-in" || rule.type === "numeric") return typeof response === "string";
    if (rule.type === "matching") return isStringMap(response);
    return isStringList(response);
  }

  function itemAnswered(rules, itemId, response) {
    var rule = ruleOf(rules, itemId);
    if (!rule || !shaped(rule, response)) return false;
    var text = textTools(rules);
    if (rule.type === "fill-in") return text.key(response, rule.caseSensitive) !== "";
    if (rule.type === "numeric") return text.number(response, rule.unit) !== null;
    if (rule.type === "matching") return Object.keys(response).length > 0;
    return response.length > 0;
  }

  function itemCorrect(rules, itemId, response) {
    var rule = ruleOf(rules, itemId);
    if (!rule || !shaped(rule, response)) return false;
    var text = textTools(rules);
    switch (rule.type) {
      case "choice":
        return sameList(uniqueSorted(rule.correct || []), uniqueSorted(response));
      case "fill-in": {
        var key = text.key(response, rule.caseSensitive);
        if (!key) return false;
        for (var i = 0; i < rule.accepted.length; i++) {
          if (text.key(rule.accepted[i], rule.caseSensitive) === key) return true;
        }
        return false;
      }
      case "numeric": {
        var n = text.number(response, rule.unit);
        return n !== null && compareDecimal(n, rule.low) >= 0 &&
          compareDecimal(n, rule.high) <= 0;
      }
      case "matching": {
        var wanted = Object.keys(rule.pairs), got = Object.keys(response);
        if (wanted.length !== got.length) return false;
        for (var w = 0; w < wanted.length; w++) {
          if (!has(response, wanted[w]) || response[wanted[w]] !== rule.pairs[wanted[w]]) {
            return false;
          }
        }
        return true;
      }
      case "ordering":
        return sameList(rule.sequence, response);
      default:
        return false;
    }
  }

  function scorePercent(correct, total) {
    return total === 0 ? null : Math.floor(100 * correct / total + 0.5);
  }

  /* answers: {itemId: response}; returns {score, correct, total} */
  function courseScore(rules, answers) {
    var ids = Object.keys(rules.items), right = 0;
    for (var i = 0; i < ids.length; i++) {
      if (has(answers, ids[i]) && itemCorrect(rules, ids[i], answers[ids[i]])) right++;
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

  /* Text in the state's own alphabet (see the header), and back. */
  function escapeText(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var code = text.codePointAt(i);
      var ch = String.fromCodePoint(code);
      if (code > 0xffff) i++;
      out += SAFE_CHARACTER.test(ch) ? ch : "~" + toBase36(code, 4);
    }
    return out;
  }

  function unescapeText(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var ch = text.charAt(i);
      if (ch !== "~") {
        if (!SAFE_CHARACTER.test(ch)) return null;
        out += ch;
        continue;
      }
      var code = fromBase36(text.substr(i + 1, 4));
      if (isNaN(code) || text.length < i + 5 || code > 0x10ffff) return null;
      out += String.fromCodePoint(code);
      i += 4;
    }
    return out;
  }

  /* Per question type: its answer in the saved state (see the header). */
  var SAVED = {
    choice: {
      encode: function (item, sel) {
        var mask = 0;
        for (var k = 0; k < item.choices.length; k++) {
          if (sel.indexOf(item.choices[k]) >= 0) mask += Math.pow(2, k);
        }
        return toBase36(mask + 1, answerWidth(item.choices.length));
      },
      decode: function (item, read) {
        var value = fromBase36(read(answerWidth(item.choices.length)));
        if (isNaN(value)) return undefined;
        var mask = value - 1, sel = [];
        for (var k = 0; k < item.choices.length && value > 1; k++) {
          if (Math.floor(mask / Math.pow(2, k)) % 2 === 1) sel.push(item.choices[k]);
        }
        return sel.length ? sel : null;
      }
    },
    matching: {
      encode: function (item, pairs) {
        var out = "";
        for (var p = 0; p < item.prompts.length; p++) {
          var t = has(pairs, item.prompts[p]) ? item.targets.indexOf(pairs[item.prompts[p]]) : -1;
          out += DIGITS.charAt(t + 1);
        }
        return out;
      },
      decode: function (item, read) {
        var digits = read(item.prompts.length), pairs = {}, any = false;
        for (var p = 0; p < item.prompts.length; p++) {
          var t = DIGITS.indexOf(digits.charAt(p));
          if (t < 0 || t > item.targets.length) return undefined;
          if (t > 0) {
            pairs[item.prompts[p]] = item.targets[t - 1];
            any = true;
          }
        }
        return any ? pairs : null;
      }
    },
    ordering: {
      encode: function (item, order) {
        var out = "";
        for (var i = 0; i < item.entries.length; i++) {
          out += DIGITS.charAt(item.entries.indexOf(order[i]) + 1);
        }
        return out;
      },
      decode: function (item, read) {
        var digits = read(item.entries.length), order = [], seen = {};
        if (/^0*$/.test(digits)) return null;
        for (var i = 0; i < item.entries.length; i++) {
          var e = DIGITS.indexOf(digits.charAt(i)) - 1;
          if (e < 0 || e >= item.entries.length || has(seen, e)) return undefined;
          seen[e] = true;
          order.push(item.entries[e]);
        }
        return order;
      }
    },
    text: {
      encode: function (item, text) {
        var escaped = escapeText(text);
        return toBase36(escaped.length, 2) + escaped;
      },
      decode: function (item, read) {
        var length = fromBase36(read(2));
        if (isNaN(length)) return undefined;
        var text = unescapeText(read(length));
        if (text === null) return undefined;
        return text === "" ? null : text;
      }
    }
  };
  SAVED["fill-in"] = SAVED.text;
  SAVED.numeric = SAVED.text;

  /* An item without an answer in the saved state: zeros as wide as an answer, or a
     length of zero. */
  function unanswered(item) {
    var width = item.type === "choice" ? answerWidth(item.choices.length)
      : item.type === "matching" ? item.prompts.length
      : item.type === "ordering" ? item.entries.length : 2;
    return new Array(width + 1).join("0");
  }

  /* structure: {key, pageCount, chapterCount, items: [item]};
     state: {page, visited: [bool], answers: {id: response}, seed} */
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
      var item = structure.items[i];
      answers += has(state.answers, item.id) ? SAVED[item.type].encode(item, state.answers[item.id])
        : unanswered(item);
    }
    var seed = toBase36((state.seed || 0) % SEED_SPACE, 4);
    return ["c2", structure.key, seed, toBase36(state.page), stripZeros(visited),
            stripZeros(answers)].join(".");
  }

  function decodeVisited(structure, digits, state) {
    for (var c = 0; c < structure.chapterCount; c++) {
      var digit = digits.charAt(Math.floor(c / 5));
      var v = digit ? DIGITS.indexOf(digit) : 0;
      if (v < 0) return false;
      state.visited.push(Math.floor(v / Math.pow(2, c % 5)) % 2 === 1);
    }
    return true;
  }

  /* The state before other question types (c1): choice items, one width for all. */
  function decodeLegacy(structure, parts) {
    var maxChoices = 0;
    for (var m = 0; m < structure.items.length; m++) {
      if (structure.items[m].type !== "choice") return null;
      maxChoices = Math.max(maxChoices, structure.items[m].choices.length);
    }
    var page = fromBase36(parts[2]);
    if (parts.length !== 5 || isNaN(page) || page >= structure.pageCount) return null;
    var state = {page: page, visited: [], answers: {}, seed: null};
    if (!decodeVisited(structure, parts[3], state)) return null;
    var w = answerWidth(maxChoices);
    for (var i = 0; i < structure.items.length; i++) {
      var chunk = parts[4].substr(i * w, w);
      while (chunk.length < w) chunk += "0";
      var value = fromBase36(chunk);
      if (isNaN(value)) return null;
      var mask = value - 1, item = structure.items[i], sel = [];
      for (var k = 0; k < item.choices.length && value > 1; k++) {
        if (Math.floor(mask / Math.pow(2, k)) % 2 === 1) sel.push(item.choices[k]);
      }
      if (sel.length) state.answers[item.id] = sel;
    }
    return state;
  }

  function decodeState(structure, text) {
    var parts = String(text || "").split(".");
    if (parts[0] === "c1" && parts[1] === structure.key) return decodeLegacy(structure, parts);
    if (parts.length < 6 || parts[0] !== "c2" || parts[1] !== structure.key) return null;
    var seed = fromBase36(parts[2]);
    var page = fromBase36(parts[3]);
    if (isNaN(seed) || parts[2].length !== 4 || isNaN(page) || page >= structure.pageCount) {
      return null;
    }
    var state = {page: page, visited: [], answers: {}, seed: seed};
    if (!decodeVisited(structure, parts[4], state)) return null;
    var answers = parts.slice(5).join("."), at = 0;
    var read = function (n) {
      var chunk = answers.substr(at, n);
      at += n;
      while (chunk.length < n) chunk += "0";
      return chunk;
    };
    for (var i = 0; i < structure.items.length; i++) {
      var item = structure.items[i];
      var response = SAVED[item.type].decode(item, read);
      if (response === undefined) return null;
      if (response !== null) state.answers[item.id] = response;
    }
    return at >= answers.length ? state : null;
  }

  /* ----------------------------------------------------------------- shuffling */

  /* FNV-1a over the UTF-16 code units: a learner id or item id as a 32-bit number. */
  function hash(text) {
    var h = 0x811c9dc5;
    for (var i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
  }

  /* mulberry32: a small seeded generator of numbers in [0, 1). */
  function generator(seed) {
    var a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      var t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function shuffled(list, seed, itemId) {
    var out = list.slice(), next = generator(seed ^ hash(itemId));
    for (var i = out.length - 1; i > 0; i--) {
      var j = Math.floor(next() * (i + 1));
      var keep = out[i];
      out[i] = out[j];
      out[j] = keep;
    }
    return out;
  }

  /* ---------------------------------------------------------- question types */

  function node(item, selector) { return item.fieldset.querySelector(selector); }

  /* Per question type: read the answer from the page (null: none), show one, lock the
     controls, and reorder what the item shuffles. */
  var QUESTIONS = {
    choice: {
      setUp: function (item) {
        item.inputs = item.fieldset.querySelectorAll("input");
        item.choices = [];
        for (var k = 0; k < item.inputs.length; k++) item.choices.push(item.inputs[k].value);
      },
      read: function (item) {
        var sel = [];
        for (var k = 0; k < item.inputs.length; k++) {
          if (item.inputs[k].checked) sel.push(item.inputs[k].value);
        }
        return sel.length ? inChoiceOrder(item, sel) : null;
      },
      show: function (item, sel) {
        for (var k = 0; k < item.inputs.length; k++) {
          item.inputs[k].checked = sel.indexOf(item.inputs[k].value) >= 0;
        }
      },
      shuffle: function (item, seed) {
        var group = node(item, ".choices-group");
        var rows = Array.prototype.slice.call(group.querySelectorAll(".choice"));
        var order = shuffled(rows, seed, item.id);
        for (var i = 0; i < order.length; i++) group.appendChild(order[i]);
      }
    },
    /* fill-in and numeric: one text field (the number is read on checking) */
    text: {
      setUp: function (item) { item.input = node(item, "input"); },
      read: function (item, text) {
        var value = text.collapse(item.input.value);
        return value === "" ? null : value;
      },
      show: function (item, value) { item.input.value = value; }
    },
    matching: {
      setUp: function (item) {
        item.selects = item.fieldset.querySelectorAll("select");
        item.prompts = [];
        for (var p = 0; p < item.selects.length; p++) {
          item.prompts.push(item.selects[p].getAttribute("data-prompt"));
        }
        item.targets = [];
        var options = item.selects.length ? item.selects[0].options : [];
        for (var o = 0; o < options.length; o++) {
          if (options[o].value) item.targets.push(options[o].value);
        }
      },
      read: function (item) {
        var pairs = {}, any = false;
        for (var p = 0; p < item.selects.length; p++) {
          if (item.selects[p].value) {
            pairs[item.prompts[p]] = item.selects[p].value;
            any = true;
          }
        }
        return any ? pairs : null;
      },
      show: function (item, pairs) {
        for (var p = 0; p < item.selects.length; p++) {
          item.selects[p].value = has(pairs, item.prompts[p]) ? pairs[item.prompts[p]] : "";
        }
      },
      shuffle: function (item, seed) {
        var order = shuffled(item.targets, seed, item.id);
        for (var p = 0; p < item.selects.length; p++) {
          var select = item.selects[p], byValue = {};
          for (var o = 0; o < select.options.length; o++) {
            byValue[select.options[o].value] = select.options[o];
          }
          for (var t = 0; t < order.length; t++) select.appendChild(byValue[order[t]]);
        }
      }
    },
    ordering: {
      setUp: function (item) {
        item.list = node(item, "ol.order-list");
        item.status = node(item, ".order-status");
        item.entries = [];
        var rows = item.list.querySelectorAll("li");
        for (var e = 0; e < rows.length; e++) item.entries.push(rows[e].getAttribute("data-entry"));
      },
      /* An order the learner never changed is no answer: the page never starts in the
         right order. */
      read: function (item) {
        if (!item.moved) return null;
        var rows = item.list.querySelectorAll("li"), order = [];
        for (var e = 0; e < rows.length; e++) order.push(rows[e].getAttribute("data-entry"));
        return order;
      },
      show: function (item, order) {
        item.moved = true;
        var byEntry = {}, rows = item.list.querySelectorAll("li");
        for (var e = 0; e < rows.length; e++) byEntry[rows[e].getAttribute("data-entry")] = rows[e];
        for (var i = 0; i < order.length; i++) {
          if (has(byEntry, order[i])) item.list.appendChild(byEntry[order[i]]);
        }
      },
      shuffle: function (item, seed, rules) {
        var order = shuffled(item.entries, seed, item.id);
        var rule = ruleOf(rules, item.id);
        if (rule && rule.sequence && sameList(order, rule.sequence)) {
          order = order.slice(1).concat(order.slice(0, 1)); /* never start in the right order */
        }
        QUESTIONS.ordering.show(item, order);
        item.moved = false;
      }
    }
  };

  QUESTIONS["fill-in"] = QUESTIONS.text;
  QUESTIONS.numeric = QUESTIONS.text;

  /* ------------------------------------------------------------------- course */

  function readStructure(main) {
    var pageEls = main.querySelectorAll(".cx-page");
    var pages = [], chapters = [], items = [];
    for (var p = 0; p < pageEls.length; p++) {
      var el = pageEls[p], slug = el.getAttribute("data-cx-chapter") || "";
      var page = {index: p, el: el, id: el.id, chapter: slug ? chapters.length : -1,
                  forms: el.querySelectorAll("form.quiz-form"), items: []};
      if (slug) chapters.push(page);
      var sets = el.querySelectorAll("fieldset.quiz-item");
      for (var f = 0; f < sets.length; f++) {
        var type = sets[f].getAttribute("data-type") || "choice";
        if (!has(QUESTIONS, type) || type === "text") continue;
        var item = {id: sets[f].getAttribute("data-item"), type: type, fieldset: sets[f],
                    page: p, shuffle: sets[f].getAttribute("data-shuffle") === "true"};
        QUESTIONS[type].setUp(item);
        items.push(item);
        page.items.push(item);
      }
      pages.push(page);
    }
    return {key: main.getAttribute("data-cx-key") || "", pages: pages, pageCount: pages.length,
            chapters: chapters, chapterCount: chapters.length, items: items};
  }

  /* The selection in choice order, keeping only choices the item has. */
  function inChoiceOrder(item, selected) {
    var out = [];
    for (var k = 0; k < item.choices.length; k++) {
      if (selected.indexOf(item.choices[k]) >= 0) out.push(item.choices[k]);
    }
    return out;
  }

  /* A response as the tracker recorded it, in the player's shape (review mode). */
  function fromRecord(item, response) {
    if (item.type === "choice") {
      var sel = isStringList(response) ? inChoiceOrder(item, response) : [];
      return sel.length ? sel : null;
    }
    if (item.type === "matching") {
      if (!isStringMap(response)) return null;
      var pairs = {}, any = false;
      for (var p = 0; p < item.prompts.length; p++) {
        var target = response[item.prompts[p]];
        if (has(response, item.prompts[p]) && item.targets.indexOf(target) >= 0) {
          pairs[item.prompts[p]] = target;
          any = true;
        }
      }
      return any ? pairs : null;
    }
    if (item.type === "ordering") {
      if (!isStringList(response) || response.length !== item.entries.length) return null;
      return uniqueSorted(response).join("\n") === uniqueSorted(item.entries).join("\n")
        ? response.slice() : null;
    }
    return typeof response === "string" && response !== "" ? response : null;
  }

  function Course(main, data) {
    this.main = main;
    this.data = data;
    this.structure = readStructure(main);
    this.state = {page: 0, visited: [], answers: {}, seed: 0};
    for (var c = 0; c < this.structure.chapterCount; c++) this.state.visited.push(false);
    this.adapter = null;
    this.readOnly = false;
    this.recorded = null;
    this.finished = false;
    this.ready = false; /* true once the adapter is connected and the page shown */
    this.started = new Date().getTime();
    this.mastery = data ? data.rules.mastery : 100;
    this.text = textTools(data ? data.rules : null);
  }

  /* Calls done(adapter) with the first adapter that initializes (null when none does):
     at once for adapters that answer at once, once its promise settles for one that
     answers with a promise. */
  Course.prototype.connect = function (done) {
    var names = (this.main.getAttribute("data-cx-tracking") || "local").split(/\s+/);
    var context = {courseId: this.main.getAttribute("data-cx-course") || "", data: this.data,
                   structure: this.structure};
    var at = 0;
    function next() {
      while (at < names.length) {
        var name = names[at++];
        if (!name || !has(ADAPTERS, name)) continue;
        var adapter = ADAPTERS[name](context);
        var ready = adapter ? adapter.initialize() : false;
        if (ready && typeof ready.then === "function") {
          ready.then(function (ok) { if (ok) done(adapter); else next(); }, next);
          return;
        }
        if (ready) {
          done(adapter);
          return;
        }
      }
      done(null);
    }
    next();
  };

  Course.prototype.start = function () {
    var self = this;
    this.connect(function (adapter) {
      self.adapter = adapter;
      self.begin();
    });
  };

  Course.prototype.begin = function () {
    var saved = {location: "", suspend: "", mastery: null, recorded: null, responses: {},
                 learner: ""};
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
    if (restored === null || restored.seed === null) {
      this.state.seed = saved.learner ? hash(String(saved.learner)) % SEED_SPACE
        : Math.floor(Math.random() * SEED_SPACE);
    }
    var named = this.pageOfHash(window.location.hash);
    var at = named >= 0 ? named : this.pageIndex(saved.location);
    if (at >= 0) this.state.page = at;
    this.shuffle();
    this.bindUi();
    if (this.readOnly) this.lock();
    this.restoreAnswers();
    this.show(this.state.page, false);
    this.report(true);
    this.ready = true;
  };

  /* Items marked for shuffling show their choices, targets or entries in the learner's
     own order (see the header). */
  Course.prototype.shuffle = function () {
    var items = this.structure.items;
    for (var i = 0; i < items.length; i++) {
      var handler = QUESTIONS[items[i].type];
      if (items[i].shuffle && handler.shuffle) {
        handler.shuffle(items[i], this.state.seed, this.data ? this.data.rules : null);
      }
    }
  };

  /* Answers as the tracker recorded them (review mode without saved state). */
  Course.prototype.takeResponses = function (responses) {
    var items = this.structure.items;
    for (var i = 0; i < items.length; i++) {
      if (!has(responses, items[i].id)) continue;
      var response = fromRecord(items[i], responses[items[i].id]);
      if (response !== null) this.state.answers[items[i].id] = response;
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

  /* The page holding the element an address's fragment names (index.html#page-<slug>
     opens that chapter's page), or -1. */
  Course.prototype.pageOfHash = function (hash) {
    var id = "";
    try { id = hash ? decodeURIComponent(hash.slice(1)) : ""; } catch (e) { return -1; }
    var target = id ? document.getElementById(id) : null;
    var page = target && target.closest ? target.closest(".cx-page") : null;
    return page ? this.pageIndex(page.id) : -1;
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
        forms[f].addEventListener("click", this.onMove.bind(this));
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

  /* An ordering entry's "Move up" / "Move down": the entry moves one place, the button
     keeps the focus and the new place is announced. */
  Course.prototype.onMove = function (event) {
    var button = event.target && event.target.closest ? event.target.closest("button.cx-move")
      : null;
    if (!button || this.readOnly) return;
    event.preventDefault();
    var row = button.closest("li"), list = row.parentNode;
    var rows = Array.prototype.slice.call(list.children);
    var fieldset = button.closest("fieldset.quiz-item"), items = this.structure.items;
    for (var i = 0; i < items.length; i++) if (items[i].fieldset === fieldset) items[i].moved = true;
    var from = rows.indexOf(row), to = from + Number(button.getAttribute("data-move"));
    if (to >= 0 && to < rows.length) {
      list.insertBefore(row, to > from ? rows[to].nextSibling : rows[to]);
    }
    button.focus();
    var status = list.parentNode.querySelector(".order-status");
    if (status) {
      var place = Array.prototype.indexOf.call(list.children, row) + 1;
      status.textContent = say("orderPlace", {entry: row.querySelector(".order-text").textContent,
                                              place: number(place), num: number(rows.length)});
    }
  };

  /* Review and browse modes: the answers are shown, nothing can be changed or checked. */
  Course.prototype.lock = function () {
    this.main.setAttribute("data-cx-mode", "review");
    var controls = this.main.querySelectorAll(
      "form.quiz-form input, form.quiz-form button, form.quiz-form select");
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
      QUESTIONS[item.type].show(item, this.state.answers[item.id]);
      this.feedback(item, this.state.answers[item.id], false);
    }
  };

  /* The item's feedback: right or not, what each picked choice says, the explanation. */
  Course.prototype.feedback = function (item, response, notNumber) {
    var box = item.fieldset.querySelector(".feedback");
    if (!box || !this.data) return;
    var rules = this.data.rules, text, answered = response !== null &&
      itemAnswered(rules, item.id, response);
    var right = answered && itemCorrect(rules, item.id, response);
    if (notNumber) {
      text = say("writeNumber", {whole: number(4), decimal: locale().decimalExample});
    } else if (!answered && item.type === "ordering") {
      text = say("notAnsweredOrdering", {up: say("moveUp"), down: say("moveDown")});
    } else if (!answered) {
      text = say("notAnswered");
    } else {
      text = say(right ? "correct" : "notQuite");
    }
    var parts = [text];
    if (answered && item.type === "choice") {
      var rows = item.fieldset.querySelectorAll(".choice[data-feedback]");
      for (var r = 0; r < rows.length; r++) {
        var input = rows[r].querySelector("input");
        if (input && response.indexOf(input.value) >= 0) {
          parts.push(rows[r].getAttribute("data-feedback"));
        }
      }
    }
    var why = box.getAttribute("data-explanation");
    if (why && answered) parts.push(why);
    var said = parts[0];
    for (var k = 1; k < parts.length; k++) {
      said = say("nextSentence", {text: said, sentence: parts[k]});
    }
    box.textContent = said;
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
    var rules = this.data.rules;
    var items = this.structure.pages[pageIndex].items, right = 0, now = new Date();
    for (var i = 0; i < items.length; i++) {
      var item = items[i], rule = ruleOf(rules, item.id);
      var response = QUESTIONS[item.type].read(item, this.text), notNumber = false;
      if (response !== null && item.type === "numeric") {
        var value = this.text.number(response, rule ? rule.unit : null);
        notNumber = value === null;
        response = value;
      }
      var correct = response !== null && itemCorrect(rules, item.id, response);
      if (correct) right++;
      this.feedback(item, response, notNumber);
      if (response !== null && itemAnswered(rules, item.id, response)) {
        this.state.answers[item.id] = response;
        if (item.type === "numeric") QUESTIONS.text.show(item, response);
        if (this.adapter) this.adapter.recordInteraction(item, response, correct, now);
      } else {
        delete this.state.answers[item.id]; /* checked without an answer: not answered */
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
      var slim = {page: this.state.page, visited: this.state.visited, answers: {},
                  seed: this.state.seed};
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
    itemAnswered: itemAnswered,
    scorePercent: scorePercent,
    courseScore: courseScore,
    passes: passes,
    textTools: textTools,
    compareDecimal: compareDecimal,
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
