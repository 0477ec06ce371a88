// Small behaviours the pages ask for with data- attributes: the Content-Security-Policy
// allows no inline handlers (onclick=, onchange=), only this file.
document.addEventListener("change", function (event) {
  var field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.submit();
});
document.addEventListener("click", function (event) {
  var printer = event.target.closest("[data-print]");
  if (printer) {
    event.preventDefault();
    window.print();
    return;
  }
  var submitter = event.target.closest("[data-submit-form]");
  if (submitter) {
    var form = document.getElementById(submitter.getAttribute("data-submit-form"));
    if (form) {
      event.preventDefault();
      form.submit();
    }
  }
});

// The top bar's menu groups (<details class="nav-group">): one open at a time on a wide
// screen, closed by Escape or a click elsewhere; all open in the phone menu.
(function () {
  var phone = window.matchMedia("(max-width: 640px)");
  function groups() {
    return Array.prototype.slice.call(document.querySelectorAll("details.nav-group"));
  }
  function fit() {
    groups().forEach(function (group) {
      group.open = phone.matches;
    });
  }
  document.addEventListener(
    "toggle",
    function (event) {
      var opened = event.target;
      if (phone.matches || !opened.matches || !opened.matches("details.nav-group") || !opened.open)
        return;
      groups().forEach(function (group) {
        if (group !== opened) group.open = false;
      });
    },
    true
  );
  document.addEventListener("click", function (event) {
    if (phone.matches) return;
    groups().forEach(function (group) {
      if (group.open && !group.contains(event.target)) group.open = false;
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || phone.matches) return;
    groups().forEach(function (group) {
      if (!group.open) return;
      group.open = false;
      if (group.contains(document.activeElement)) group.querySelector("summary").focus();
    });
  });
  if (phone.addEventListener) phone.addEventListener("change", fit);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fit);
  else fit();
})();
