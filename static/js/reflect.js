/* Reflection editor: insert a citation reference at the cursor and refresh the preview. */
(function () {
  "use strict";
  var body = document.getElementById("id_body");
  if (!body) return;
  var search = document.getElementById("cite-q");
  if (search) search.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
  document.addEventListener("click", function (e) {
    var btn = e.target.closest(".cite-insert");
    if (!btn) return;
    var ref = "[@" + btn.dataset.ref + "]";
    var start = body.selectionStart || body.value.length, end = body.selectionEnd || start;
    body.value = body.value.slice(0, start) + ref + body.value.slice(end);
    body.focus();
    body.selectionStart = body.selectionEnd = start + ref.length;
    body.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
