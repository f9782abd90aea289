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
    // What the new content says happened ("Purpose saved.") takes focus at once: htmx
    // would focus it only when the swap settles, leaving focus on the page meanwhile.
    var told =
      swapped && (swapped.matches("[autofocus]") ? swapped : swapped.querySelector("[autofocus]"));
    if (told) {
      told.focus();
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
  function closePanelInPlace() {
    var panel = bookingPanel();
    if (!panel || !panel.firstElementChild) {
      return false;
    }
    if (document.getElementById("booking-row")) {
      closeBookingPanel(); // opened under a grid cell: the grid puts it back and refocuses
      return true;
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
    if (link && bookingPanel() && bookingPanel().contains(link) && closePanelInPlace()) {
      event.preventDefault();
    }
  });
  document.addEventListener("keydown", function (event) {
    var panel = bookingPanel();
    if (event.key === "Escape" && panel && panel.contains(document.activeElement)) {
      if (closePanelInPlace()) {
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
    showDisclosures(document);
  });
  // Content htmx swaps in (a new calendar address) gets its buttons too.
  document.addEventListener("htmx:load", function (event) {
    copyButtons(event.detail.elt);
    showDisclosures(event.detail.elt);
  });

  // --- A request that fails ------------------------------------------------------------
  // htmx swaps only 2xx answers: a click whose request is refused, fails or never reaches
  // the server would change nothing on the page and say nothing. Say what happened, in the
  // page's alert region, with a way to see the page as it is now; the next request clears it.
  var PROBLEMS = {
    0: "RoomLoop could not be reached, so nothing was sent. Check the connection, then try again.",
    400: "This page is out of date. Reload it, then try again.",
    403: "You are not allowed to do this. Reload the page to see what you can do.",
    404: "This is no longer here: it may have been deleted meanwhile. Reload the page to see it as it is now.",
  };
  function problemFor(status) {
    if (PROBLEMS[status]) {
      return PROBLEMS[status];
    }
    if (status >= 500) {
      return "RoomLoop could not finish this (error " + status + "). Reload the page to see " +
        "where things stand, then try again.";
    }
    return "RoomLoop refused this (error " + status + "). Reload the page, then try again.";
  }
  function requestProblem() {
    return document.getElementById("request-problem");
  }
  function showProblem(status) {
    var region = requestProblem();
    if (!region) {
      return;
    }
    var words = document.createElement("p");
    words.textContent = problemFor(status);
    var reload = document.createElement("button");
    reload.type = "button";
    reload.className = "button";
    reload.textContent = "Reload the page";
    reload.addEventListener("click", function () {
      window.location.reload();
    });
    region.replaceChildren(words, reload);
  }
  document.addEventListener("htmx:responseError", function (event) {
    showProblem(event.detail.xhr.status);
  });
  document.addEventListener("htmx:sendError", function () {
    showProblem(0);
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var region = requestProblem();
    if (region && region.firstChild) {
      region.replaceChildren();
    }
  });

  // --- The grid ------------------------------------------------------------------------
  // One cell of the grid is in the Tab order (a roving tabindex); arrow keys, Home and End
  // move between cells, Enter opens a cell's link. A cell's booking form opens in a row
  // right under the cell's row, and closing it gives focus back to that cell.
  var openedFrom = null; // the cell whose form is open: its row's id, name and column

  function gridTable() {
    return document.querySelector("table[data-grid]");
  }

  // The grid's rows, each a list of its cells: the element focus goes to (a cell's link,
  // else the cell; the room's link in the row's header), and the columns it spans.
  function gridRows(table) {
    var rows = [];
    Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
      if (!/^row-/.test(tr.id)) {
        return; // the booking panel's row
      }
      var column = 0;
      var cells = [];
      Array.prototype.forEach.call(tr.cells, function (td) {
        var span = td.colSpan || 1;
        // The room's name (a link to its week) is the row's first stop.
        var el = td.classList.contains("cell") ? td.querySelector("a") || td : td.querySelector("a");
        if (el) {
          cells.push({ el: el, first: column, last: column + span - 1 });
        }
        column += span;
      });
      rows.push(cells);
    });
    return rows;
  }

  function locate(rows, el) {
    for (var r = 0; r < rows.length; r++) {
      for (var c = 0; c < rows[r].length; c++) {
        if (rows[r][c].el === el) {
          return { row: r, index: c };
        }
      }
    }
    return null;
  }

  function makeCurrent(rows, el) {
    rows.forEach(function (cells) {
      cells.forEach(function (cell) {
        cell.el.setAttribute("tabindex", cell.el === el ? "0" : "-1");
      });
    });
  }

  // The cell in the Tab order: the one that was, else the first that can be booked.
  function setUpGrid() {
    var table = gridTable();
    if (!table) {
      return;
    }
    var rows = gridRows(table);
    var current = table.querySelector('tbody [tabindex="0"]');
    if (!current || !locate(rows, current)) {
      current = table.querySelector(".cell-free a");
      var first = rows[0] && rows[0][0];
      current = current || (first && first.el);
    }
    if (current) {
      makeCurrent(rows, current);
    }
  }

  function cellInColumn(cells, column) {
    return (
      cells.filter(function (cell) {
        return cell.first <= column && column <= cell.last;
      })[0] || cells[cells.length - 1]
    );
  }

  var column = null; // where Up and Down aim, kept across rows of wider cells

  document.addEventListener("keydown", function (event) {
    var table = event.target.closest && event.target.closest("table[data-grid]");
    if (!table || event.altKey || event.metaKey || event.shiftKey) {
      return;
    }
    var rows = gridRows(table);
    var at = locate(rows, event.target);
    if (!at) {
      return;
    }
    var cells = rows[at.row];
    var here = cells[at.index];
    var next = null;
    var key = event.key;
    if (key === "ArrowRight" || key === "ArrowLeft") {
      next = cells[at.index + (key === "ArrowRight" ? 1 : -1)];
      column = next ? next.first : null;
    } else if (key === "ArrowDown" || key === "ArrowUp") {
      var other = rows[at.row + (key === "ArrowDown" ? 1 : -1)];
      var aim = column !== null && here.first <= column && column <= here.last ? column : here.first;
      next = other && cellInColumn(other, aim);
      column = aim;
    } else if (key === "Home" || key === "End") {
      var row = event.ctrlKey ? rows[key === "Home" ? 0 : rows.length - 1] : cells;
      next = row[key === "Home" ? 0 : row.length - 1];
      column = next.first;
    } else {
      return;
    }
    event.preventDefault();
    if (next) {
      makeCurrent(rows, next.el);
      next.el.focus();
    }
  });

  // "Skip to the grid" lands on the grid's cell in the Tab order.
  document.addEventListener("click", function (event) {
    var skip = event.target.closest && event.target.closest("[data-skip-to-grid]");
    var table = skip && gridTable();
    var current = table && table.querySelector('[tabindex="0"]');
    if (current) {
      event.preventDefault();
      current.focus();
    }
  });

  // A cell's form opens in a row of its own right under the cell's row.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    var cell = event.detail.elt.closest && event.detail.elt.closest("table[data-grid] td.cell");
    if (!cell || !target || target.id !== "booking-panel") {
      return;
    }
    var tr = cell.parentElement;
    var table = tr.closest("table");
    var rows = gridRows(table);
    var at = locate(rows, event.detail.elt);
    openedFrom = {
      rowId: tr.id,
      label: event.detail.elt.getAttribute("aria-label"),
      column: at ? rows[at.row][at.index].first : 0,
    };
    makeCurrent(rows, event.detail.elt);
    var panelRow = document.getElementById("booking-row");
    if (!panelRow) {
      panelRow = document.createElement("tr");
      panelRow.id = "booking-row";
      panelRow.className = "panel-row";
      var td = document.createElement("td");
      td.colSpan = table.tHead.rows[0].cells.length;
      panelRow.appendChild(td);
    }
    tr.after(panelRow);
    panelRow.cells[0].appendChild(target);
  });

  // Focus back on the cell the form was opened from (or, once it changed, on the cell now
  // in its place). Whatever closes the booking panel calls this.
  function returnFocusToCell() {
    var table = gridTable();
    var tr = openedFrom && document.getElementById(openedFrom.rowId);
    if (!table || !tr) {
      return false;
    }
    var rows = gridRows(table);
    var cells = rows[Array.prototype.indexOf.call(
      Array.prototype.filter.call(table.tBodies[0].rows, function (row) {
        return /^row-/.test(row.id);
      }),
      tr
    )];
    var cell =
      cells.filter(function (c) {
        return c.el.getAttribute("aria-label") === openedFrom.label;
      })[0] || cellInColumn(cells, openedFrom.column);
    makeCurrent(rows, cell.el);
    cell.el.focus();
    return true;
  }

  // Empty the booking panel, put it back above the grid, and return focus to the cell.
  function closeBookingPanel() {
    var panel = document.getElementById("booking-panel");
    var panelRow = document.getElementById("booking-row");
    var region = document.getElementById("grid");
    if (panel) {
      panel.innerHTML = "";
      if (region) {
        region.before(panel);
      }
    }
    if (panelRow) {
      panelRow.remove();
    }
    return returnFocusToCell();
  }

  window.RoomLoop = window.RoomLoop || {};
  window.RoomLoop.returnFocusToCell = returnFocusToCell;
  window.RoomLoop.closeBookingPanel = closeBookingPanel;

  document.addEventListener("DOMContentLoaded", setUpGrid);
  document.addEventListener("htmx:afterSettle", setUpGrid);
})();
