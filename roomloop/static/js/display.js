// The door display: keeps its clock ticking between polls, says when it is offline, and
// polls by itself where the browser is too old for htmx. Plain ES5: old tablets run it.
(function () {
  "use strict";
  var DAY = 86400;
  var base = null; // the school's time of day at the last answer, and when it came
  var knownAt = ""; // "HH:MM" of the last answer: what the display shows is from then

  function door() {
    return document.getElementById("door");
  }

  function hhmm(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }

  // The server's clock, not the tablet's: a tablet's clock is often wrong.
  function readClock() {
    var el = door();
    var text = el && el.getAttribute("data-clock");
    if (!text) {
      return;
    }
    var parts = text.split(":");
    base = { seconds: +parts[0] * 3600 + +parts[1] * 60 + +parts[2], at: Date.now() };
    knownAt = hhmm(base.seconds);
  }

  function tick() {
    var face = document.querySelector("#door [data-clock-face]");
    if (face && base) {
      var elapsed = Math.floor((Date.now() - base.at) / 1000);
      face.textContent = hhmm((base.seconds + elapsed) % DAY);
    }
  }

  function offline() {
    var el = door();
    var notice = el && el.querySelector(".door-offline");
    if (!notice || !notice.hidden) {
      return;
    }
    notice.textContent = "Offline since " + knownAt + " \u2014 showing what was known then";
    notice.hidden = false;
    el.classList.add("is-stale");
  }

  // A revoked token answers 404 with the "switched off" display: show it, not the old one.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 404) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSettle", readClock);
  document.addEventListener("htmx:sendError", offline);
  document.addEventListener("htmx:timeout", offline);
  document.addEventListener("htmx:responseError", offline);

  // Without htmx (a browser older than it supports), fetch the display the same way.
  function poll() {
    var el = door();
    var url = el && el.getAttribute("hx-get");
    if (!url) {
      return; // switched off: nothing more to ask
    }
    var request = new XMLHttpRequest();
    request.open("GET", url);
    request.setRequestHeader("HX-Request", "true");
    request.timeout = 10000;
    request.onload = function () {
      if (request.status !== 200 && request.status !== 404) {
        offline();
        return;
      }
      var holder = document.createElement("div");
      holder.innerHTML = request.responseText;
      var fresh = holder.querySelector("#door");
      if (fresh && door()) {
        door().parentNode.replaceChild(fresh, door());
        readClock();
      }
    };
    request.onerror = request.ontimeout = offline;
    request.send();
  }

  function start() {
    readClock();
    setInterval(tick, 1000);
    var el = door();
    if (!window.htmx && el) {
      setInterval(poll, (+el.getAttribute("data-poll-seconds") || 30) * 1000);
    }
    // Back on the network: ask at once instead of at the next poll.
    window.addEventListener("online", function () {
      if (window.htmx && door() && door().getAttribute("hx-get")) {
        window.htmx.trigger(door(), "refresh");
      } else if (!window.htmx) {
        poll();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
