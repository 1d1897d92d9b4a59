// The order form: keep the amount payable in step with the quantity typed (the server computes it again;
// without JavaScript the "recalculate" button does the same).
(function () {
  "use strict";
  var box = document.getElementById("order-price");
  var input = document.getElementById("quantity");
  if (!box || !input) { return; }
  var unit = parseInt(box.dataset.unitTotal, 10);
  var subsidy = parseInt(box.dataset.unitSubsidy, 10) || 0;
  var lang = document.documentElement.lang || "zh-CN";
  var fmt = new Intl.NumberFormat(lang, { style: "currency", currency: "CNY" });
  function show(selector, fen) {
    var cell = box.querySelector(selector);
    if (cell) { cell.textContent = (selector === "[data-order-subsidy]" ? "\u2212" : "") + fmt.format(fen / 100); }
  }
  input.addEventListener("input", function () {
    var n = parseInt(input.value, 10);
    if (!(n >= 1 && n <= 20)) { return; }
    var subtotal = n * unit;
    var off = Math.min(subsidy, unit);
    box.querySelector("[data-order-quantity]").textContent = String(n);
    show("[data-order-subtotal]", subtotal);
    show("[data-order-subsidy]", off);
    show("[data-order-amount]", subtotal - off);
  });
}());
