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
    if (status >= 500) return "The server failed to do this (error " + status + "). Check whether it was done before trying again.";
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
  /* Banners clear: each has a close button, and the next thing the curator does (a click, a key,
     a form sent) clears an error banner shown before it and the page's flash messages. */
  var shownAt = 0;
  var _show = showError;
  showError = function (message) { _show(message); shownAt = Date.now(); };
  function dismissible(p) {
    if (p.querySelector(".dismiss")) return;
    var b = document.createElement("button");
    b.type = "button"; b.className = "dismiss"; b.setAttribute("aria-label", "Dismiss this message"); b.textContent = "×";
    b.addEventListener("click", function () { p.hidden = true; });
    p.appendChild(b);
  }
  function clearBanners(ev) {
    if (Date.now() - shownAt < 400) return;  /* the action that raised the banner */
    var banner = document.getElementById("error-banner");
    if (banner && !banner.hidden && !(ev && ev.target && banner.contains(ev.target))) banner.hidden = true;
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#flash .flash").forEach(dismissible);
    var banner = document.getElementById("error-banner");
    if (banner) banner.addEventListener("click", function () { banner.hidden = true; });
  });
  ["click", "keydown", "submit"].forEach(function (type) { document.addEventListener(type, clearBanners, true); });
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var trigger = ev.detail && ev.detail.requestConfig && ev.detail.requestConfig.triggeringEvent;
    if (!trigger) return;  /* polling, not the curator */
    clearBanners(ev);
    document.querySelectorAll("#flash .flash").forEach(function (p) { p.hidden = true; });
  });
  document.addEventListener("htmx:responseError", function (ev) {
    var xhr = ev.detail.xhr;
    showError(errorText(xhr.status, xhr.responseText));
  });
  document.addEventListener("htmx:sendError", function () { showError(errorText(0, "")); });
  document.addEventListener("htmx:timeout", function () { showError("The server took too long to answer. Try again."); });
  window.Palimpsest = { csrfToken: csrfToken, errorText: errorText, showError: showError, showNote: showNote };
})();

/* Behaviours that used to be inline handlers (the Content-Security-Policy allows no inline script):
   data-autosubmit submits its form on change; data-show-more reveals the rows hidden before it. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) el.form.requestSubmit();
  });
  document.addEventListener("click", function (event) {
    var el = event.target && event.target.closest ? event.target.closest("[data-show-more]") : null;
    if (!el) return;
    var table = el.previousElementSibling;
    if (table) table.querySelectorAll("tr.more").forEach(function (row) { row.hidden = false; });
    el.remove();
  });
})();
