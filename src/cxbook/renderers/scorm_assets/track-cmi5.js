/*
 * cxbook course player: the cmi5 tracking adapter (the interface is described in
 * player.js), over the @xapi/cmi5 client (cmi5.umd.js, window.Cmi5).
 *
 * Launch (cmi5 spec 8): the LMS opens index.html with the query parameters endpoint,
 * fetch, actor, registration and activityId; without them this adapter declines and the
 * page runs standalone (track-local.js). The client POSTs to the fetch URL once for the
 * session's authorization token, reads the LMS.LaunchData state document (contextTemplate,
 * launchMode, moveOn, masteryScore, returnURL; spec 10) and the learner preferences agent
 * profile (spec 11: languagePreference and audioPreference, kept in `preferences`; the
 * course has one language and no audio, so there is nothing to switch), then sends
 * "initialized". The page's Content-Security-Policy is narrowed at once to the origins of
 * the endpoint and the fetch URL (see cmi5.py, CSP_CMI5).
 *
 * Statements: the client makes every statement (ids, actor, timestamp, the contextTemplate
 * with the session id, registration, the cmi5 and moveOn categories, masteryScore,
 * durations); this adapter decides when and delivers them:
 *   answered     each checked quiz item, a cmi5 allowed statement whose object is the
 *                cmi.interaction activity <activityId>/test/<chapter>/question/<id> with
 *                the definition course-data.json gives (interactionType,
 *                correctResponsesPattern, choices / source / target) and the learner's
 *                response in the type's format (choice and sequencing identifiers joined
 *                by "[,]", fill-in text, numeric a number, matching "source[.]target"
 *                pairs), success = right or not;
 *   completed    once per registration, when every chapter has been visited;
 *   passed       once per registration, when every question is answered and the score
 *                reaches the mastery score, or at the end of a session whose score
 *                already reaches it with questions left (score {scaled, raw, min 0,
 *                max 100});
 *   failed       at the end of a session whose score is final (every question answered)
 *                and below the mastery score, unless the registration has passed (the
 *                learner may still pass within the session, and a session holds at most
 *                one of passed and failed);
 *   terminated   last, when the page is left or the learner exits.
 * Browse and Review launches send only initialized and terminated (spec 10.2.2): the player
 * calls none of the writing methods then. Timestamps strictly increase in the order the
 * statements are made, so the order the spec reads from them (9.3) is the order they
 * happened in.
 *
 * Delivery: statements wait in a queue and are POSTed in order, in batches; the state
 * document (location, saved state, what was sent in this registration, the recorded
 * status for review) is PUT after them, in the State API under STATE_IDS. Every request is a
 * fetch with keepalive, so one still in flight when the page goes (an LMS closing the frame)
 * completes, and what is left when the page is hidden or closed is sent at once the same
 * way. A request that fails (no network, an LRS that is down or answers 5xx, 401, 403,
 * 408 or 429) keeps its statements queued and is tried again after 1, 2, 4 … 30 seconds
 * and when the browser is back online; meanwhile a notice tells the learner, and goes once
 * everything is delivered. 409 (statements stored already, by an earlier try) counts as
 * delivered; another 4xx drops the batch, which the LRS will never take, with a console
 * error. The page never waits for the LRS.
 *
 * Leaving: with a returnURL in LMS.LaunchData an "Exit" button ends the session
 * (terminated) and sends the frame to returnURL (spec 10.2.6).
 */
(function () {
  "use strict";

  var cx = window.cxcourse;
  /* The state document's two slots: writes alternate between them, each numbered (seq), and
     a launch reads the higher number. The write sent when the page goes may overlap one
     still in flight; in another slot it can never be overwritten by that older one. */
  var STATE_IDS = ["https://w3id.org/xapi/cxbook/state/progress/0",
                   "https://w3id.org/xapi/cxbook/state/progress/1"];
  var START_TIMEOUT = 20000; /* ms the launch may take before the page runs standalone */
  var BATCH = 25; /* statements a request carries */
  var MAX_DELAY = 30000;
  var SCORE = {min: 0, max: 100};

  function has(object, key) { return Object.prototype.hasOwnProperty.call(object, key); }

  /* A learner-facing text: the book's catalog entry when the page has one (locale.js),
     else English. */
  function say(name, english) {
    var l10n = window.cxcourseLocale, messages = l10n && l10n.messages;
    return messages && typeof messages[name] === "string" ? messages[name] : english;
  }

  var TEXTS = {
    queued: ["cmi5.queued", "Your progress could not be sent to the learning record store. " +
             "It is kept on this page and will be sent again automatically."],
    unavailable: ["cmi5.unavailable", "The learning management system could not be " +
                  "reached: nothing you do here is recorded."],
    exit: ["cmi5.exit", "Exit"]
  };

  function text(key) { return say(TEXTS[key][0], TEXTS[key][1]); }

  /* ------------------------------------------------------------ the page */

  /* A second Content-Security-Policy whose connect-src names only the page's own origin
     and the given addresses' origins (a browser enforces both policies). */
  function narrowPolicy(urls) {
    var origins = ["'self'"];
    for (var i = 0; i < urls.length; i++) {
      try {
        var origin = new URL(urls[i], window.location.href).origin;
        if (origin && origin !== "null" && origins.indexOf(origin) < 0) origins.push(origin);
      } catch (e) { /* not an address: nothing to allow */ }
    }
    var meta = document.createElement("meta");
    meta.setAttribute("http-equiv", "Content-Security-Policy");
    meta.setAttribute("content", "connect-src " + origins.join(" "));
    document.head.appendChild(meta);
  }

  function noticeElement() {
    var box = document.getElementById("cx-notice");
    if (box) return box;
    var bar = document.querySelector(".cx-bar") || document.body;
    box = document.createElement("p");
    box.id = "cx-notice";
    box.className = "cx-notice";
    box.setAttribute("role", "alert");
    box.hidden = true;
    bar.appendChild(box);
    return box;
  }

  function showNotice(message) {
    var box = noticeElement();
    if (box.textContent !== message) box.textContent = message;
    box.hidden = false;
  }

  function hideNotice() {
    var box = document.getElementById("cx-notice");
    if (box) {
      box.hidden = true;
      box.textContent = "";
    }
  }

  /* ------------------------------------------------------------ responses */

  /* A text as one item of an xAPI response list: no leading "{", "[,]" written "[ ,]"
     (as cmi5.py writes the patterns). */
  function listItem(value) {
    return String(value).replace(/^\{+/, "").split("[,]").join("[ ,]");
  }

  var RESPONSES = {
    choice: function (item, info, selected) {
      var table = info.responses || {}, out = [];
      for (var k = 0; k < item.choices.length; k++) {
        if (selected.indexOf(item.choices[k]) >= 0) {
          out.push(table[item.choices[k]] || item.choices[k]);
        }
      }
      return out.join("[,]");
    },
    "fill-in": function (item, info, value) { return listItem(value); },
    numeric: function (item, info, value) { return String(value); },
    matching: function (item, info, pairs) {
      var sources = info.sources || {}, targets = info.targets || {}, out = [];
      for (var p = 0; p < item.prompts.length; p++) {
        var prompt = item.prompts[p];
        if (has(pairs, prompt)) {
          out.push((sources[prompt] || prompt) + "[.]" + (targets[pairs[prompt]] || pairs[prompt]));
        }
      }
      return out.join("[,]");
    },
    ordering: function (item, info, order) {
      var table = info.responses || {}, out = [];
      for (var i = 0; i < order.length; i++) out.push(table[order[i]] || order[i]);
      return out.join("[,]");
    }
  };

  /* ------------------------------------------------------------ the adapter */

  function Cmi5Adapter(context) {
    this.context = context;
    this.items = context.data && context.data.items ? context.data.items : {};
    this.limits = {suspend: Infinity, location: Infinity};
    this.client = null;
    this.launchMode = "Normal";
    this.preferences = {};
    this.document = {}; /* the state document as read at launch */
    this.sent = {completed: false, passed: false}; /* in this registration */
    this.failedThisSession = false;
    this.recorded = null;
    this.queue = [];
    this.state = null; /* the state document waiting to be written */
    this.busy = false;
    this.failures = 0;
    this.timer = null;
    this.seq = 0; /* the number of the last state document written */
    this.lastTime = 0;
    this.finished = false;
  }

  Cmi5Adapter.prototype.initialize = function () {
    var Client = window.Cmi5;
    if (!Client || !Client.isCmiAvailable) return false;
    var self = this;
    try {
      this.client = new Client();
    } catch (e) {
      return false;
    }
    var params = this.client.getLaunchParameters();
    narrowPolicy([params.endpoint, params.fetch]);
    /* The client makes each statement; this adapter delivers it (see the header). */
    this.client.sendXapiStatement = function (statement, options) {
      var made = options && typeof options.transform === "function"
        ? options.transform(statement) : statement;
      self.enqueue(made);
      return Promise.resolve({data: [made.id]});
    };
    var started = this.client.initialize().then(function () {
      var data = self.client.getLaunchData() || {};
      self.launchMode = data.launchMode || "Normal";
      self.preferences = self.client.getLearnerPreferences() || {};
      return self.readDocument();
    });
    var timeout = new Promise(function (resolve, reject) {
      window.setTimeout(function () { reject(new Error("launch timed out")); }, START_TIMEOUT);
    });
    return Promise.race([started, timeout]).then(function () {
      window.addEventListener("online", function () { self.pump(); });
      self.addExit();
      self.pump();
      return true;
    }, function (error) {
      if (window.console) window.console.error("cxcourse: cmi5 launch failed: " + error);
      self.queue = [];
      showNotice(text("unavailable"));
      return false;
    });
  };

  /* The registration's latest state document, when there is one (404s: a first launch). */
  Cmi5Adapter.prototype.readDocument = function () {
    var self = this, params = this.client.getLaunchParameters();
    function slot(stateId) {
      return self.client.xapi.getState({
        agent: params.actor, activityId: params.activityId,
        registration: params.registration, stateId: stateId
      }).then(function (response) {
        var doc = response && response.data;
        return doc && typeof doc === "object" && typeof doc.seq === "number" ? doc : null;
      }, function (error) {
        if (!error || !error.response || error.response.status !== 404) throw error;
        return null;
      });
    }
    return Promise.all(STATE_IDS.map(slot)).then(function (docs) {
      var doc = docs[0] && (!docs[1] || docs[0].seq > docs[1].seq) ? docs[0] : docs[1];
      self.document = doc || {};
      self.seq = doc ? doc.seq : 0;
      var sent = self.document.sent || {};
      self.sent = {completed: sent.completed === true, passed: sent.passed === true};
      self.recorded = self.document.recorded || null;
    });
  };

  Cmi5Adapter.prototype.mode = function () {
    if (this.launchMode === "Review") return "review";
    if (this.launchMode === "Browse") return "browse";
    return "normal";
  };

  Cmi5Adapter.prototype.normal = function () { return this.mode() === "normal"; };

  /* The learner's id, which seeds shuffled choices: the actor's account or mailbox. */
  function learnerId(actor) {
    if (!actor) return "";
    if (actor.account) return String(actor.account.homePage) + "/" + String(actor.account.name);
    return String(actor.mbox || actor.mbox_sha1sum || actor.openid || "");
  }

  Cmi5Adapter.prototype.readState = function () {
    var data = this.client.getLaunchData() || {}, doc = this.document;
    var mastery = typeof data.masteryScore === "number"
      ? Math.round(data.masteryScore * 1e4) / 100 : null;
    return {
      location: typeof doc.location === "string" ? doc.location : "",
      suspend: typeof doc.suspend === "string" ? doc.suspend : "",
      mastery: mastery,
      learner: learnerId(this.client.getLaunchParameters().actor),
      recorded: this.normal() ? null : this.recorded,
      responses: {}
    };
  };

  Cmi5Adapter.prototype.writeState = function (location, suspend, commit) {
    this.state = {location: location, suspend: suspend,
                  sent: {completed: this.sent.completed, passed: this.sent.passed},
                  recorded: this.recorded};
    if (commit) this.pump();
  };

  Cmi5Adapter.prototype.recordInteraction = function (item, response, correct) {
    var info = this.items[item.id], encode = RESPONSES[item.type];
    if (!info || !encode || !this.normal()) return;
    this.client.interaction(info.test, info.interaction, encode(item, info, response),
                            info.definition, correct);
  };

  function score(pr) {
    return {scaled: pr.score / 100, raw: pr.score, min: SCORE.min, max: SCORE.max};
  }

  Cmi5Adapter.prototype.setScore = function (pr) {
    if (!this.normal() || this.finished) return;
    if (pr.allVisited && !this.sent.completed) {
      this.sent.completed = true;
      this.client.complete();
    }
    if (pr.hasQuiz && pr.allAnswered && pr.pass) this.judge(pr);
    this.record(pr);
  };

  /* passed or failed, once the score is final (see the header); at most one a session,
     no passed after passed and no failed after passed in the registration. */
  Cmi5Adapter.prototype.judge = function (pr) {
    if (!pr.hasQuiz || !pr.final || this.sent.passed || this.failedThisSession) return;
    if (pr.pass) {
      this.sent.passed = true;
      this.client.pass(score(pr));
    } else {
      this.failedThisSession = true;
      this.client.fail(score(pr));
    }
  };

  /* What review mode shows later (see player.js, readState().recorded). */
  Cmi5Adapter.prototype.record = function (pr) {
    var success = this.sent.passed ? "passed" : this.failedThisSession ? "failed" : "unknown";
    if (!pr.hasQuiz && this.sent.completed) success = "passed";
    this.recorded = {
      score: pr.final ? pr.score : null,
      success: success,
      completion: this.sent.completed ? "completed" : "incomplete"
    };
  };

  Cmi5Adapter.prototype.finish = function (summary) {
    if (this.finished) return;
    if (summary && this.normal()) {
      var pr = summary.progress;
      this.judge(pr);
      this.record(pr);
      if (this.state) {
        this.state.sent = {completed: this.sent.completed, passed: this.sent.passed};
        this.state.recorded = this.recorded;
      }
    }
    this.client.terminate();
    this.finished = true;
    this.pump(true);
  };

  /* ------------------------------------------------------------ delivery */

  Cmi5Adapter.prototype.enqueue = function (statement) {
    if (this.finished) return; /* nothing may follow terminated */
    var time = Date.parse(statement.timestamp);
    if (isNaN(time) || time <= this.lastTime) time = this.lastTime + 1;
    this.lastTime = time;
    statement.timestamp = new Date(time).toISOString();
    this.queue.push(statement);
  };

  Cmi5Adapter.prototype.request = function (method, resource, query, body) {
    var xapi = this.client.xapi, url = xapi.endpoint + resource;
    if (query) url += "?" + new URLSearchParams(query).toString();
    return window.fetch(url, {method: method, headers: xapi.headers, body: JSON.stringify(body),
                              keepalive: true, credentials: "omit", cache: "no-store"});
  };

  /* Send what waits, statements first; leaving: everything at once, not waiting for a
     request in flight (keepalive requests outlive the page). */
  Cmi5Adapter.prototype.pump = function (leaving) {
    if (!this.client || !this.client.xapi) return;
    if (leaving) {
      window.clearTimeout(this.timer);
      while (this.queue.length) this.send(this.queue.splice(0, BATCH), true);
      if (this.state) this.sendState(true);
      return;
    }
    if (this.busy || this.timer) return;
    if (this.queue.length) this.send(this.queue.splice(0, BATCH), false);
    else if (this.state) this.sendState(false);
  };

  /* A batch is out of the queue while it is in flight, so leaving never sends it twice
     (a second copy of statements the LRS stores meanwhile would make it refuse the whole
     second batch, terminated with it); it goes back to the queue's front if it fails. */
  Cmi5Adapter.prototype.send = function (batch, leaving) {
    var self = this;
    this.busy = !leaving;
    this.request("POST", "statements", null, batch).then(function (response) {
      var status = response.status;
      if (response.ok || status === 409) return "delivered";
      if (status >= 400 && status < 500 && [401, 403, 408, 429].indexOf(status) < 0) {
        if (window.console) window.console.error("cxcourse: the LRS refused statements (HTTP " +
                                                 status + ")");
        return "refused";
      }
      throw new Error("HTTP " + status);
    }).then(function () {
      if (!leaving) self.delivered();
    }, function () {
      if (leaving) return;
      self.queue = batch.concat(self.queue);
      self.retry();
    });
  };

  Cmi5Adapter.prototype.sendState = function (leaving) {
    var self = this, params = this.client.getLaunchParameters(), state = this.state;
    this.busy = !leaving;
    state.seq = ++this.seq;
    this.request("PUT", "activities/state", {
      stateId: STATE_IDS[state.seq % 2], activityId: params.activityId,
      agent: JSON.stringify(params.actor), registration: params.registration
    }, state).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
    }).then(function () {
      if (leaving) return;
      if (self.state === state) self.state = null;
      self.delivered();
    }, function () {
      if (!leaving) self.retry();
    });
  };

  Cmi5Adapter.prototype.delivered = function () {
    this.busy = false;
    this.failures = 0;
    if (!this.queue.length && !this.state) hideNotice();
    this.pump();
  };

  Cmi5Adapter.prototype.retry = function () {
    var self = this;
    this.busy = false;
    showNotice(text("queued"));
    var delay = Math.min(MAX_DELAY, 1000 * Math.pow(2, this.failures++));
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () {
      self.timer = null;
      self.pump();
    }, delay);
  };

  /* ------------------------------------------------------------ exit */

  Cmi5Adapter.prototype.addExit = function () {
    var data = this.client.getLaunchData() || {}, target = data.returnURL;
    var bar = document.querySelector(".cx-bar");
    if (!target || !bar) return;
    var self = this, button = document.createElement("button");
    button.type = "button";
    button.id = "cx-exit";
    button.className = "cx-button cx-exit";
    button.textContent = text("exit");
    button.addEventListener("click", function () {
      if (cx.current) cx.current.finish();
      else self.finish(null);
      window.location.assign(target);
    });
    bar.appendChild(button);
  };

  cx.registerAdapter("cmi5", function (context) { return new Cmi5Adapter(context); });
  cx.cmi5 = {listItem: listItem, responses: RESPONSES};
})();
