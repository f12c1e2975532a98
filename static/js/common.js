/* Shared helpers: CSRF, plain-words errors for every htmx/fetch failure (nothing fails silently). */
(function () {
  "use strict";
  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return (input && input.value) || cookie("csrftoken");
  }
  /* The message of an error response: our JSON error shape, plain text, or the status. */
  function errorText(status, body) {
    if (status === 0) return "The server could not be reached. Check the connection and try again.";
    if (body) {
      try {
        var data = JSON.parse(body);
        if (data && data.error && data.error.message) return data.error.message;
        if (data && data.detail) return String(data.detail);
      } catch (e) { /* not JSON */ }
      if (body.length < 600 && body.indexOf("<html") === -1) return body;
    }
    if (status === 403) return "You are not allowed to do this (your role in this collection does not permit it).";
    if (status === 404) return "This item no longer exists, or you cannot see it.";
    if (status === 413) return "The file is too large for the server.";
    if (status >= 500) return "The server failed to do this (error " + status + "). Nothing was changed; try again later.";
    return "The request failed (error " + status + ").";
  }
  var bannerTimer = null;
  function showError(message) {
    var banner = document.getElementById("error-banner");
    if (!banner) { window.alert(message); return; }
    banner.textContent = message;
    banner.hidden = false;
    clearTimeout(bannerTimer);
    bannerTimer = setTimeout(function () { banner.hidden = true; }, 12000);
  }
  function showNote(message) {
    var area = document.getElementById("flash");
    if (!area) return;
    var p = document.createElement("p");
    p.className = "flash flash-success";
    p.textContent = message;
    area.replaceChildren(p);
  }
  document.addEventListener("htmx:responseError", function (ev) {
    var xhr = ev.detail.xhr;
    showError(errorText(xhr.status, xhr.responseText));
  });
  document.addEventListener("htmx:sendError", function () { showError(errorText(0, "")); });
  document.addEventListener("htmx:timeout", function () { showError("The server took too long to answer. Try again."); });
  window.Palimpsest = { csrfToken: csrfToken, errorText: errorText, showError: showError, showNote: showNote };
})();
