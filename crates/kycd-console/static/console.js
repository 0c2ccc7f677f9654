// kycd console: image zoom, clickable queue rows and keyboard shortcuts. No inline handlers (the CSP forbids them).
(function () {
  "use strict";
  var lightbox = document.getElementById("lightbox");
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t.classList && t.classList.contains("zoomable") && lightbox) {
      lightbox.querySelector("img").src = t.src;
      lightbox.hidden = false;
      return;
    }
    if (lightbox && !lightbox.hidden && lightbox.contains(t)) { lightbox.hidden = true; return; }
    var row = t.closest ? t.closest("tr[data-href]") : null;
    if (row && !t.closest("a")) { window.location = row.getAttribute("data-href"); }
  });
  function typing(e) {
    var n = e.target.nodeName;
    return n === "INPUT" || n === "TEXTAREA" || n === "SELECT" || e.target.isContentEditable;
  }
  function choose(face, doc) {
    var f = document.getElementById("decision-face"), d = document.getElementById("decision-document");
    var note = document.getElementById("decision-note");
    if (!f || !d) { return; }
    f.value = face; d.value = doc;
    note.focus();
  }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && lightbox) { lightbox.hidden = true; }
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && e.target.id === "decision-note") {
      document.getElementById("decision").requestSubmit();
      return;
    }
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (e.key === "n") { window.location = "/console/review/next"; }
    else if (e.key === "a") { e.preventDefault(); choose("FACE_MATCH", "DOC_VALIDATED"); }
    else if (e.key === "d") { e.preventDefault(); choose("FACE_MISMATCH", "DOC_FAKE"); }
    else if (e.key === "/") { var s = document.getElementById("search"); if (s) { e.preventDefault(); s.focus(); } }
  });
})();
