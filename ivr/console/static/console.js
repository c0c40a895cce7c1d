// The console's only script (CSP allows no inline code): screen pops over Server-Sent Events,
// loaded into the pop panel by htmx; the report's print button.
document.addEventListener("DOMContentLoaded", function () {
  var pop = document.getElementById("screen-pop");
  if (pop && window.EventSource) {
    var source = new EventSource(pop.dataset.sse);
    source.addEventListener("pop", function (event) {
      var data = JSON.parse(event.data);
      pop.hidden = false;
      htmx.ajax("GET", "/tickets/" + encodeURIComponent(data.ticket) + "/card",
                {target: "#screen-pop", swap: "innerHTML"});
      document.title = "\u260e " + data.ticket + " \u00b7 " + document.title;
    });
  }
  document.querySelectorAll(".print-button").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
