// Small behaviours on top of htmx; every page works without this file.
document.addEventListener("htmx:afterSwap", function (event) {
  // Move keyboard focus to what just opened (the booking form, its answer), so keyboard
  // and screen-reader users land where the change happened.
  var target = event.detail.target;
  if (target && target.id === "booking-panel") {
    var heading = target.querySelector("h2[tabindex]");
    if (heading) {
      heading.focus();
    }
  }
});
