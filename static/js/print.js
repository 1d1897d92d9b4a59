// Links marked data-print open the browser's print dialog (the link itself works without JavaScript).
document.addEventListener("click", function (event) {
  "use strict";
  var link = event.target.closest("[data-print]");
  if (link) { event.preventDefault(); window.print(); }
});
