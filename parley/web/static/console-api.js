/* Parley console: the one way pages talk to the REST API.
 *
 * Same-origin fetch with the session cookie and the X-CSRF-Token header from the page's meta tag;
 * a 401 sends the browser to sign in. Loaded before every console page's own scripts.
 *   ParleyApi.request(method, path, body) -> Promise<{ok, status, data}> (never rejects on HTTP);
 *     a FormData body is sent as multipart (file uploads), anything else as JSON
 *   ParleyApi.call(method, path, body)    -> Promise<data>, rejecting with a readable Error
 */
(function () {
  "use strict";

  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function request(method, path, body) {
    // A FormData body goes as multipart (the browser sets its boundary); anything else as JSON.
    var form = typeof FormData !== "undefined" && body instanceof FormData;
    var headers = { "X-CSRF-Token": csrf, Accept: "application/json" };
    if (!form) headers["Content-Type"] = "application/json";
    return fetch(path, {
      method: method,
      credentials: "same-origin",
      headers: headers,
      body: body === undefined ? undefined : form ? body : JSON.stringify(body),
    }).then(function (r) {
      if (r.status === 401) { location.href = "/login"; throw new Error("Signed out"); }
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { ok: r.ok, status: r.status, data: data };
      });
    });
  }

  /* "Message (field: why, ...)", capitalised: what the API said, shown in place. */
  function describe(result) {
    var err = (result.data && result.data.error) || {};
    var detail = err.message || "the request failed (HTTP " + result.status + ")";
    var fields = err.fields || {};
    var names = Object.keys(fields);
    if (names.length) detail += " (" + names.map(function (k) { return k + ": " + fields[k]; }).join(", ") + ")";
    return detail.charAt(0).toUpperCase() + detail.slice(1);
  }

  function call(method, path, body) {
    return request(method, path, body).then(function (result) {
      if (!result.ok) throw new Error(describe(result));
      return result.data;
    });
  }

  window.ParleyApi = { csrf: csrf, request: request, call: call, describe: describe };
})();
