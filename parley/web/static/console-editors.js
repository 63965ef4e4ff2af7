/* Parley agent console: the knowledge-base and procedure editors.
 *
 * Loaded only on /console/knowledge and /console/procedures/{id|new}. Every change goes through the
 * public REST API (fetch with the session cookie and the X-CSRF-Token header); after a change the
 * page is reloaded so it shows what the server stored. API errors are shown in place (validation
 * errors next to the editor with their field path and line). Text from the server is only ever
 * set as textContent. No inline scripts or handlers (the CSP forbids them).
 */
(function () {
  "use strict";

  var main = document.getElementById("content");
  if (!main || !main.dataset.editor) return;

  function $(id) { return document.getElementById(id); }

  /* Resolves {ok, status, data}; data.error = {code, message, fields} when the API refused. */
  var api = window.ParleyApi.request;

  function errorOf(result) {
    var err = (result.data && result.data.error) || {};
    return {
      message: err.message || "The request failed (HTTP " + result.status + ")",
      fields: err.fields || {},
    };
  }

  function sentence(text) {
    text = String(text || "");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function errorText(result) {
    var e = errorOf(result);
    var names = Object.keys(e.fields);
    var detail = sentence(e.message);
    if (names.length) detail += " (" + names.map(function (k) { return k + ": " + e.fields[k]; }).join(", ") + ")";
    return detail;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function busy(buttons, on) {
    buttons.forEach(function (b) { if (b) b.disabled = on; });
  }

  // ---- procedures ------------------------------------------------------------------------------

  function procedureEditor() {
    var source = $("proc-source");
    var status = $("proc-status");
    var errors = $("proc-errors");
    var summary = $("proc-tests-summary");
    var tests = $("proc-tests");
    var cursor = $("proc-cursor");
    var buttons = [$("proc-validate"), $("proc-test"), $("proc-save"), $("proc-toggle")];
    var procedureId = main.dataset.procedureId || "";
    var active = main.dataset.active === "true";

    function setStatus(text, kind) {
      status.textContent = text;
      status.className = kind || "muted";
    }

    function lineOf(text) {
      var m = /(?:^|\()line (\d+)(?::|\))/.exec(String(text));
      return m ? parseInt(m[1], 10) : null;
    }

    function gotoLine(n) {
      var lines = source.value.split("\n");
      var start = 0;
      for (var i = 0; i < n - 1 && i < lines.length; i++) start += lines[i].length + 1;
      var end = start + (lines[n - 1] || "").length;
      source.focus({ preventScroll: true });
      source.setSelectionRange(start, end);
      // Scroll the line into view: the editor's line height times the lines above it.
      var lh = parseFloat(getComputedStyle(source).lineHeight) || 18;
      source.scrollTop = Math.max(0, (n - 4) * lh);
      showCursor();
    }

    function showCursor() {
      var before = source.value.slice(0, source.selectionStart);
      cursor.textContent = "Line " + (before.split("\n").length);
    }

    function clearChecks() {
      clear(errors);
      errors.hidden = true;
      source.removeAttribute("aria-invalid");
    }

    /* A 422 from validate / test / save: each field path with its line, next to the editor. */
    function showInvalid(result) {
      var e = errorOf(result);
      clearChecks();
      setStatus(sentence(e.message), "fail");
      var names = Object.keys(e.fields);
      if (!names.length) names = [""];
      names.forEach(function (name) {
        var why = name ? String(e.fields[name]) : sentence(e.message);
        var line = lineOf(why) || (name === "source" ? lineOf(e.message) : null);
        var li = el("li", "fail");
        li.dataset.field = name;
        if (name) li.appendChild(el("span", "field", name));
        if (line) {
          li.dataset.line = String(line);
          li.appendChild(document.createTextNode(" "));
          li.appendChild(el("span", "line", "line " + line));
          var go = el("button", "ghost goto-line", "Go to line");
          go.type = "button";
          go.addEventListener("click", function () { gotoLine(line); });
          li.appendChild(go);
        }
        li.appendChild(el("span", "why", why.replace(/^line \d+: /, "")));
        errors.appendChild(li);
      });
      errors.hidden = false;
      source.setAttribute("aria-invalid", "true");
    }

    function failed(result) {
      if (result.status === 422) showInvalid(result);
      else { clearChecks(); setStatus(errorText(result), "fail"); }
    }

    function validate() {
      busy(buttons, true);
      setStatus("Checking…");
      return api("POST", "/api/v1/procedures/validate", { source: source.value })
        .then(function (result) {
          if (!result.ok) return failed(result);
          clearChecks();
          var steps = (result.data.steps || []).length;
          var count = (result.data.tests || []).length;
          setStatus("Valid: " + result.data.name + " (" + steps + " steps, " + count + " tests).", "ok");
        })
        .catch(function (e) { setStatus(e.message, "fail"); })
        .finally(function () { busy(buttons, false); });
    }

    function runTests() {
      busy(buttons, true);
      summary.textContent = "Running…";
      summary.className = "muted";
      clear(tests);
      tests.hidden = true;
      return api("POST", "/api/v1/procedures/test", { source: source.value })
        .then(function (result) {
          if (!result.ok) {
            failed(result);
            summary.textContent = "Tests did not run: the source is not valid.";
            summary.className = "fail";
            return;
          }
          clearChecks();
          setStatus("Valid: " + result.data.procedure + ".", "ok");
          var report = result.data;
          var passed = report.tests.filter(function (t) { return t.passed; }).length;
          summary.textContent = report.tests.length
            ? passed + " of " + report.tests.length + " tests passed."
            : "This procedure has no tests.";
          summary.className = report.passed ? "ok" : "fail";
          report.tests.forEach(function (t) {
            var li = el("li", t.passed ? "pass" : "fail");
            li.dataset.test = t.test;
            li.appendChild(el("strong", "", (t.passed ? "Pass: " : "Fail: ") + t.test));
            t.failures.forEach(function (f) { li.appendChild(el("span", "why", f)); });
            if (!t.passed && t.transcript.length) {
              li.appendChild(el("pre", "transcript-lines", t.transcript.join("\n")));
            }
            tests.appendChild(li);
          });
          tests.hidden = !report.tests.length;
        })
        .catch(function (e) { summary.textContent = e.message; summary.className = "fail"; })
        .finally(function () { busy(buttons, false); });
    }

    function save() {
      busy(buttons, true);
      setStatus("Saving…");
      // A new procedure is saved switched off; a new version keeps the current state.
      return api("POST", "/api/v1/procedures", { source: source.value, active: active })
        .then(function (result) {
          if (!result.ok) return failed(result);
          location.href = "/console/procedures/" + result.data.id + "?saved=saved";
        })
        .catch(function (e) { setStatus(e.message, "fail"); })
        .finally(function () { busy(buttons, false); });
    }

    function toggle(e) {
      var action = e.currentTarget.dataset.action;
      busy(buttons, true);
      setStatus(action === "activate" ? "Activating…" : "Switching off…");
      return api("POST", "/api/v1/procedures/" + procedureId + "/" + action)
        .then(function (result) {
          if (!result.ok) return failed(result);
          location.href = "/console/procedures/" + result.data.id + "?saved=" + action + "d";
        })
        .catch(function (err) { setStatus(err.message, "fail"); })
        .finally(function () { busy(buttons, false); });
    }

    $("proc-validate").addEventListener("click", validate);
    $("proc-test").addEventListener("click", runTests);
    if ($("proc-save")) $("proc-save").addEventListener("click", save);
    if ($("proc-toggle")) $("proc-toggle").addEventListener("click", toggle);
    ["keyup", "click", "select"].forEach(function (name) { source.addEventListener(name, showCursor); });
    source.addEventListener("keydown", function (e) {
      // Tab indents (two spaces) instead of leaving the editor; Esc still leaves it.
      if (e.key !== "Tab" || e.shiftKey || source.readOnly) return;
      e.preventDefault();
      source.setRangeText("  ", source.selectionStart, source.selectionEnd, "end");
    });
  }

  // ---- knowledge base --------------------------------------------------------------------------

  function knowledgeEditor() {
    if (main.dataset.canEdit !== "true") return;
    var collectionId = main.dataset.collectionId || "";

    var collectionForm = $("collection-form");
    if (collectionForm) {
      collectionForm.addEventListener("submit", function (e) {
        e.preventDefault();
        var button = $("collection-create");
        busy([button], true);
        $("collection-error").textContent = "";
        api("POST", "/api/v1/knowledge/collections", {
          name: $("collection-name").value.trim(),
          description: $("collection-description").value.trim(),
        })
          .then(function (result) {
            if (!result.ok) { $("collection-error").textContent = errorText(result); return; }
            location.href = "/console/knowledge?collection=" + encodeURIComponent(result.data.id);
          })
          .catch(function (err) { $("collection-error").textContent = err.message; })
          .finally(function () { busy([button], false); });
      });
    }

    var faqForm = $("faq-form");
    if (!faqForm) return;
    var faqId = $("faq-id");
    var saveButton = $("faq-save");
    var cancel = $("faq-cancel");

    function resetForm() {
      faqForm.reset();
      faqId.value = "";
      $("faq-form-title").textContent = "Add an FAQ";
      saveButton.textContent = "Add FAQ";
      cancel.hidden = true;
      $("faq-error").textContent = "";
    }

    function lines(text) {
      return text.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
    }

    faqForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = {
        question: $("faq-question").value.trim(),
        answer: $("faq-answer").value.trim(),
        alternatives: lines($("faq-alternatives").value),
      };
      var editing = faqId.value;
      var request = editing
        ? api("PATCH", "/api/v1/knowledge/faqs/" + encodeURIComponent(editing), body)
        : api("POST", "/api/v1/knowledge/collections/" + encodeURIComponent(collectionId) + "/faqs", body);
      busy([saveButton], true);
      $("faq-error").textContent = "";
      request
        .then(function (result) {
          if (!result.ok) { $("faq-error").textContent = errorText(result); return; }
          location.reload();
        })
        .catch(function (err) { $("faq-error").textContent = err.message; })
        .finally(function () { busy([saveButton], false); });
    });

    cancel.addEventListener("click", resetForm);

    Array.prototype.forEach.call(document.querySelectorAll(".faq-edit"), function (button) {
      button.addEventListener("click", function () {
        faqId.value = button.dataset.faqId;
        $("faq-question").value = button.dataset.question || "";
        $("faq-answer").value = button.dataset.answer || "";
        $("faq-alternatives").value = button.dataset.alternatives || "";
        $("faq-form-title").textContent = "Edit the FAQ";
        saveButton.textContent = "Save changes";
        cancel.hidden = false;
        $("faq-error").textContent = "";
        $("faq-question").focus();
      });
    });

    // Deleting takes two clicks (the button asks "Really delete?"), without a browser dialog.
    Array.prototype.forEach.call(document.querySelectorAll(".faq-delete"), function (button) {
      button.addEventListener("click", function () {
        if (!button.classList.contains("armed")) {
          button.classList.add("armed");
          button.textContent = "Really delete?";
          setTimeout(function () {
            button.classList.remove("armed");
            button.textContent = "Delete";
          }, 5000);
          return;
        }
        busy([button], true);
        api("DELETE", "/api/v1/knowledge/faqs/" + encodeURIComponent(button.dataset.faqId))
          .then(function (result) {
            if (!result.ok) { $("faq-error").textContent = errorText(result); return; }
            location.reload();
          })
          .catch(function (err) { $("faq-error").textContent = err.message; })
          .finally(function () { busy([button], false); });
      });
    });
  }

  if (main.dataset.editor === "procedure") procedureEditor();
  if (main.dataset.editor === "knowledge") knowledgeEditor();
})();
