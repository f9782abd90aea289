// Small behaviours on top of htmx; every page works without this file.
(function () {
  var lastFocus = null;

  function focusables(root) {
    return root.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea");
  }

  // Remember what had focus and where the swap lands, before htmx replaces it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    var target = event.detail.target;
    var group = active && active.closest("nav[aria-label]");
    lastFocus = {
      targetId: target && (target.id || (target.closest("[id]") || {}).id),
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
    if (target && target.id === "booking-panel") {
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

  // A button that folds a part of the page away on narrow screens (the main menu, the
  // grid's filters): the CSS hides what it controls while aria-expanded is "false".
  // Without JavaScript the button stays hidden and everything shows. Clicks and keys are
  // handled on the document, so a page htmx restores from its history works as well.
  function showDisclosures(root) {
    Array.prototype.forEach.call(root.querySelectorAll("button.disclosure[hidden]"), function (button) {
      button.hidden = false;
    });
  }
  function fold(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.disclosure");
    if (button) {
      fold(button, button.getAttribute("aria-expanded") !== "true");
    }
  });
  // Escape on the button, or inside its open panel, folds it and returns to the button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) {
      return;
    }
    var button = event.target.closest("button.disclosure");
    var panel = !button && event.target.closest("[id]");
    while (!button && panel) {
      button = document.querySelector('button.disclosure[aria-controls="' + panel.id + '"]');
      panel = !button && panel.parentElement && panel.parentElement.closest("[id]");
    }
    if (button && button.getAttribute("aria-expanded") === "true" && button.offsetParent) {
      fold(button, false);
      button.focus();
    }
  });

  // The filters' button counts the filters in use, as the form changes.
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    var toggle = form && form.id && document.querySelector('[aria-controls="' + form.id + '"]');
    var count = toggle && toggle.querySelector("[data-filter-count]");
    if (count) {
      count.textContent = "Filters (" + Array.prototype.filter.call(form.elements, function (el) {
        return el.hasAttribute("data-filter") && el.value !== "";
      }).length + ")";
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
    showDisclosures(document);
  });
  // Content htmx swaps in (a new calendar address) gets its buttons too.
  document.addEventListener("htmx:load", function (event) {
    copyButtons(event.detail.elt);
    showDisclosures(event.detail.elt);
  });
})();
