// The menu's <details> dropdowns work without JavaScript; with it, one opens at a time and a click elsewhere
// or Escape closes them.
(function () {
  var menus = document.querySelectorAll('.navbar details.nav-details');
  function closeAll(except) {
    menus.forEach(function (d) { if (d !== except) { d.open = false; } });
  }
  menus.forEach(function (d) {
    d.addEventListener('toggle', function () { if (d.open) { closeAll(d); } });
  });
  document.addEventListener('click', function (event) {
    if (!event.target.closest('.navbar details.nav-details')) { closeAll(null); }
  });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') {
      var open = document.querySelector('.navbar details.nav-details[open]');
      if (open) { open.open = false; open.querySelector('summary').focus(); }
    }
  });
})();
