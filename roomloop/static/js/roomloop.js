// Small behaviours on top of htmx; every page works without this file.
(function () {
  var lastFocus = null;

  function focusables(root) {
    return root.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea");
  }

  // An element's id attribute. Not ``el.id``: on a form, a field named "id" shadows it.
  function idOf(el) {
    return el ? el.getAttribute("id") : null;
  }

  // Remember what had focus and where the swap lands, before htmx replaces it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    var target = event.detail.target;
    var group = active && active.closest("nav[aria-label]");
    lastFocus = {
      targetId: target && idOf(target.closest("[id]")),
      tag: active && active.tagName,
      text: active && active.textContent.trim(),
      group: group && group.getAttribute("aria-label"),
    };
  });

  // Keep keyboard focus where the change happened instead of letting it fall to the
  // page's top: the booking form's heading, else the same control in the new content,
  // else the first control of the same navigation (on the last page of rooms, "Next" is
  // gone: "Previous" is next to where it was), else the first control there.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    // An outerHTML swap leaves the target detached: its replacement has the same id.
    var swapped = document.body.contains(target)
      ? target
      : lastFocus && lastFocus.targetId && document.getElementById(lastFocus.targetId);
    if (focusErrorSummary(swapped)) {
      return;
    }
    if (target && idOf(target) === "booking-panel") {
      var heading = target.querySelector("h2[tabindex]");
      if (heading) {
        heading.focus();
        return;
      }
    }
    if (!lastFocus || (document.activeElement && document.activeElement !== document.body)) {
      return;
    }
    // An innerHTML swap keeps its target; an outerHTML swap leaves a new element, same id.
    var region = document.body.contains(target)
      ? target
      : lastFocus.targetId && document.getElementById(lastFocus.targetId);
    if (!region) {
      return;
    }
    var controls = Array.prototype.slice.call(focusables(region));
    var same = controls.filter(function (el) {
      return el.tagName === lastFocus.tag && el.textContent.trim() === lastFocus.text;
    })[0];
    var sameGroup = controls.filter(function (el) {
      var nav = el.closest("nav[aria-label]");
      return lastFocus.group && nav && nav.getAttribute("aria-label") === lastFocus.group;
    })[0];
    var next = same || sameGroup || controls[0];
    if (!next) {
      // Nothing to operate any more (a cancelled booking): focus the changed item itself.
      region.setAttribute("tabindex", "-1");
      next = region;
    }
    next.focus();
  });

  // A refused form's error summary (or the refusal above the booking form, or the first
  // field marked invalid) takes focus and comes into view, so the reason is read first.
  function focusErrorSummary(root) {
    if (!root || !root.querySelector) {
      return false;
    }
    var summary = root.querySelector(".error-summary, .refusal, [aria-invalid=true]");
    if (!summary) {
      return false;
    }
    if (!summary.matches("input, select, textarea")) {
      summary.setAttribute("tabindex", "-1");
    }
    summary.focus({ preventScroll: true });
    summary.scrollIntoView({ block: "center" });
    return true;
  }
  // A refused form that came back as a whole page (posted without htmx).
  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary(document.querySelector("main"));
  });

  // The booking panel: remember the cell (or link) that opened it, to return focus there
  // when it closes ("Close", "Keep it", or Escape) without loading the page again.
  var panelOpener = null;
  function bookingPanel() {
    return document.getElementById("booking-panel");
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var panel = bookingPanel();
    var opener = event.detail.elt;
    if (panel && event.detail.target === panel && !panel.contains(opener)) {
      panelOpener = {
        element: opener,
        url: opener.getAttribute("hx-get") || opener.getAttribute("href"),
      };
    }
  });
  function openerElement() {
    if (!panelOpener) {
      return null;
    }
    if (document.body.contains(panelOpener.element)) {
      return panelOpener.element;
    }
    // The grid row was drawn again meanwhile: the same cell has a new element.
    var url = panelOpener.url && CSS.escape(panelOpener.url);
    return url ? document.querySelector('[hx-get="' + url + '"], a[href="' + url + '"]') : null;
  }
  function closeBookingPanel() {
    var panel = bookingPanel();
    if (!panel || !panel.firstElementChild) {
      return false;
    }
    panel.innerHTML = "";
    var opener = openerElement();
    if (opener) {
      opener.focus();
    }
    return true;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-close-panel]");
    if (link && bookingPanel() && bookingPanel().contains(link) && closeBookingPanel()) {
      event.preventDefault();
    }
  });
  document.addEventListener("keydown", function (event) {
    var panel = bookingPanel();
    if (event.key === "Escape" && panel && panel.contains(document.activeElement)) {
      if (closeBookingPanel()) {
        event.preventDefault();
      }
    }
  });

  // A question asked in place (Cancel… on My reservations): "Keep it" puts back what was
  // there before the question and returns focus to the control that asked it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var slot = event.detail.target;
    if (slot && slot.classList && slot.classList.contains("confirm-slot")) {
      slot.roomloopBefore = { html: slot.innerHTML, opener: event.detail.requestConfig.elt };
    }
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-keep]");
    var slot = link && link.closest(".confirm-slot");
    if (!slot || !slot.roomloopBefore) {
      return; // a page of its own: the link goes back to My reservations
    }
    event.preventDefault();
    var before = slot.roomloopBefore;
    slot.roomloopBefore = null;
    slot.innerHTML = before.html;
    if (window.htmx) {
      window.htmx.process(slot);
    }
    var opener = document.body.contains(before.opener)
      ? before.opener
      : slot.querySelector("a[href], button");
    if (opener) {
      opener.focus();
    }
  });

  // A Copy button beside a read-only field (a calendar address, a door display's address).
  // Without JavaScript the button stays hidden and the field's text is copied by hand.
  function copyButtons(root) {
    Array.prototype.forEach.call(root.querySelectorAll("button[data-copy]"), function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var status = document.querySelector('[data-copy-status="' + field.id + '"]');
      if (!button.hidden) {
        return; // bound already
      }
      button.hidden = false;
      field.addEventListener("focus", function () {
        field.select();
      });
      button.addEventListener("click", function () {
        field.select();
        var copied = navigator.clipboard
          ? navigator.clipboard.writeText(field.value)
          : new Promise(function (resolve, reject) {
              return document.execCommand("copy") ? resolve() : reject();
            });
        copied.then(
          function () {
            status.textContent = button.getAttribute("data-copied") || "Copied.";
          },
          function () {
            status.textContent = "Could not copy: the address is selected, copy it with Ctrl+C or ⌘C.";
          }
        );
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    copyButtons(document);
  });
  // Content htmx swaps in (a new calendar address) gets its buttons too.
  document.addEventListener("htmx:load", function (event) {
    copyButtons(event.detail.elt);
  });
})();
