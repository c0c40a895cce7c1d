// The console's only script (CSP allows no inline code): screen pops over Server-Sent Events,
// loaded into the pop panel by htmx; the report's print button.
document.addEventListener("DOMContentLoaded", function () {
  var pop = document.getElementById("screen-pop");
  if (pop && window.EventSource) {
    var source = null;
    var connect = function () {
      source = new EventSource(pop.dataset.sse);
      source.addEventListener("pop", function (event) {
        var data = JSON.parse(event.data);
        pop.hidden = false;
        htmx.ajax("GET", "/tickets/" + encodeURIComponent(data.ticket) + "/card",
                  {target: "#screen-pop", swap: "innerHTML"});
        document.title = "\u260e " + data.ticket + " \u00b7 " + document.title;
      });
    };
    connect();
    // Close the stream when leaving the page: a page kept in the back/forward cache would
    // otherwise hold one of the browser's six connections to this host (seen in Chromium:
    // the sixth page load hung). Reconnect when such a page is shown again.
    window.addEventListener("pagehide", function () { if (source) { source.close(); } });
    window.addEventListener("pageshow", function (event) { if (event.persisted) { connect(); } });
  }
  document.querySelectorAll(".print-button").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
