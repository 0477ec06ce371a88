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
