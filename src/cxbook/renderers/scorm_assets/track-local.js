/*
 * cxbook course player: the standalone tracking adapter (the interface is described in
 * player.js). Without an LMS — the unpacked package on a web server — the page keeps its
 * location and saved state in the browser's local storage, under a key of the course id
 * and the course's structure; scores and interactions are only shown, never sent. It is
 * always available, so it comes last in the page's list: when storage is refused, the
 * progress lives as long as the page.
 */
(function () {
  "use strict";

  function Local(context) {
    this.key = "cxbook:" + context.courseId + ":" + context.structure.key;
    this.data = {};
    this.limits = {suspend: Infinity, location: Infinity};
  }

  Local.prototype.initialize = function () {
    try {
      this.data = JSON.parse(window.localStorage.getItem(this.key) || "{}") || {};
    } catch (e) {
      this.data = {};
    }
    return true;
  };

  Local.prototype.mode = function () { return "normal"; };

  Local.prototype.readState = function () {
    return {location: String(this.data.location || ""), suspend: String(this.data.suspend || ""),
            mastery: null, learner: "", recorded: null, responses: {}};
  };

  Local.prototype.writeState = function (location, suspend) {
    this.data = {location: location, suspend: suspend};
    try {
      window.localStorage.setItem(this.key, JSON.stringify(this.data));
    } catch (e) { /* storage full or disabled: keep going without it */ }
  };

  Local.prototype.recordInteraction = function () {};
  Local.prototype.setScore = function () {};
  Local.prototype.finish = function () {};

  window.cxcourse.registerAdapter("local", function (context) { return new Local(context); });
})();
