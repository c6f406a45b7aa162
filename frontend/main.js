/*
 * Entry point of the Schakel script, bundled by frontend/build.mjs into
 * src/schakel/web/static/dist/schakel.js (loaded with `defer` by base.html).
 *
 * Pages work without JavaScript; htmx only makes some of them quicker.
 */
import htmx from "htmx.org";

// Extensions and inline hx-on handlers look for the global.
window.htmx = htmx;

// Set before DOMContentLoaded, when htmx reads its configuration (this script is deferred).
Object.assign(htmx.config, {
  // Indicator styles live in app.css, so a strict Content-Security-Policy needs no inline <style>.
  includeIndicatorStyles: false,
  // htmx would otherwise keep copies of visited pages in sessionStorage; pages here hold
  // personal data, which must not outlive the page in the browser. Back/forward reloads instead.
  historyCacheSize: 0,
  refreshOnHistoryMiss: true,
  // Partials are rendered by our own templates and never need to run scripts.
  allowScriptTags: false,
});

/**
 * The CSRF token of this page: base.html puts it in <meta name="csrf-token"> and in the
 * hx-headers of <body>. The cookie is HttpOnly, so the page is the only place to read it.
 */
function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) {
    return meta.content;
  }
  const headers = document.body && document.body.getAttribute("hx-headers");
  if (headers) {
    try {
      return JSON.parse(headers)["X-CSRFToken"] || "";
    } catch {
      return "";
    }
  }
  return "";
}

// Django refuses unsafe requests without the token; send it with every htmx request
// (htmx only talks to our own origin: selfRequestsOnly is on by default).
document.addEventListener("htmx:configRequest", (event) => {
  const headers = event.detail.headers;
  if (!headers["X-CSRFToken"]) {
    const token = csrfToken();
    if (token) {
      headers["X-CSRFToken"] = token;
    }
  }
});
