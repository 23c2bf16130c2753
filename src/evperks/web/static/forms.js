// A refused console form: bring the first field at fault into view and put the cursor in it, so the
// person sees what to correct without searching a long page (积分管理's expiry rule is far below the top).
document.addEventListener("DOMContentLoaded", function () {
  var field = document.querySelector('[aria-invalid="true"], .field.invalid input, .field.invalid select');
  if (!field) return;
  field.scrollIntoView({block: "center"});
  field.focus({preventScroll: true});
});
