/* Parley console: the settings pages (API keys, users, webhooks, channels, canned replies).
 *
 * Loaded only on those pages; <main data-admin="..."> says which. Every change goes through the
 * public REST API (window.ParleyApi: session cookie + X-CSRF-Token), so the console has exactly
 * the rights the API gives the same person. After a change the page reloads to show what the
 * server stored, except when the answer holds a secret (a new key, a generated password, a signing
 * secret): that is shown once in #secret-box, and "Done" reloads. Errors are shown in place, next
 * to the form or row they belong to; fields the API names are marked aria-invalid. Text from the
 * server is only ever set as textContent or an input's value. No inline scripts or handlers.
 */
(function () {
  "use strict";

  var main = document.getElementById("content");
  if (!main || !main.dataset.admin || !window.ParleyApi) return;
  var api = window.ParleyApi;

  function $(id) { return document.getElementById(id); }

  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  function path() {
    return "/api/v1/" + Array.prototype.map.call(arguments, encodeURIComponent).join("/");
  }

  function reload() { location.reload(); }

  /* The API's 422/409 fields, marked on the inputs that carry data-field="<name>". */
  function markInvalid(form, fields) {
    all("[aria-invalid]", form).forEach(function (n) { n.removeAttribute("aria-invalid"); });
    Object.keys(fields || {}).forEach(function (name) {
      var input = form.querySelector('[data-field="' + CSS.escape(name) + '"]');
      if (input) input.setAttribute("aria-invalid", "true");
    });
  }

  /* Submit a form through ``send`` (returns api.request's promise); errors go to ``errorNode``. */
  function onSubmit(form, button, errorNode, send, done) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      errorNode.textContent = "";
      button.disabled = true;
      send()
        .then(function (result) {
          markInvalid(form, result.ok ? {} : ((result.data || {}).error || {}).fields);
          if (!result.ok) { errorNode.textContent = api.describe(result); return; }
          done(result.data);
        })
        .catch(function (err) { errorNode.textContent = err.message; })
        .finally(function () {
          // While a secret is on show, the forms wait for "Done" (see reveal).
          var box = $("secret-box");
          button.disabled = Boolean(box && !box.hidden);
        });
    });
  }

  /* Destructive buttons take a second click ("Really revoke?"), without a browser dialog. */
  function confirmClick(button, question, action) {
    var label = button.textContent;
    var timer = null;
    function disarm() {
      clearTimeout(timer);
      button.classList.remove("armed");
      button.textContent = label;
    }
    button.addEventListener("click", function () {
      if (!button.classList.contains("armed")) {
        button.classList.add("armed");
        button.textContent = question;
        timer = setTimeout(disarm, 5000);
        return;
      }
      disarm();
      button.disabled = true;
      Promise.resolve(action()).finally(function () { button.disabled = false; });
    });
  }

  /* A call whose error is shown in ``errorNode``. Resolves with the answer (true for an empty
   * one, such as DELETE's 204), or null when it failed. */
  function act(errorNode, method, url, body) {
    errorNode.textContent = "";
    return api.call(method, url, body).then(
      function (data) { return data || true; },
      function (err) { errorNode.textContent = err.message; return null; }
    );
  }

  // ---- the one-time secret ---------------------------------------------------------------------

  function reveal(title, note, secret) {
    var box = $("secret-box");
    $("secret-title").textContent = title;
    $("secret-note").textContent = note;
    $("secret-value").value = secret || "";
    $("secret-row").hidden = !secret;
    $("secret-warning").hidden = !secret;
    $("secret-copied").textContent = "";
    box.hidden = false;
    // One secret at a time: creating another before "Done" would lose this one from view.
    all("form.settings-form button[type=submit]").forEach(function (b) { b.disabled = true; });
    box.scrollIntoView({ block: "nearest" });
    if (secret) $("secret-value").select();
    $(secret ? "secret-copy" : "secret-done").focus();
  }

  function copySecret() {
    var input = $("secret-value");
    var status = $("secret-copied");
    function fallback() {
      input.focus();
      input.select();
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      status.textContent = copied ? "Copied." : "Selected: press Ctrl+C (or ⌘C) to copy.";
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () { status.textContent = "Copied."; }, fallback);
    } else {
      fallback();
    }
  }

  if ($("secret-box")) {
    $("secret-copy").addEventListener("click", copySecret);
    $("secret-done").addEventListener("click", reload);
  }

  // ---- API keys --------------------------------------------------------------------------------

  function apiKeys() {
    onSubmit($("key-form"), $("key-create"), $("key-error"), function () {
      return api.request("POST", path("api-keys"), { name: $("key-name").value.trim(), role: $("key-role").value });
    }, function (key) {
      $("key-form").reset();
      reveal("New API key “" + key.name + "” (" + key.role + ")",
        "Give it to the system that will use it, as Authorization: Bearer <key>.", key.key);
    });
    all(".key-revoke").forEach(function (button) {
      confirmClick(button, "Really revoke?", function () {
        return act($("keys-error"), "POST", path("api-keys", button.dataset.keyId, "revoke"))
          .then(function (done) { if (done) reload(); });
      });
    });
  }

  // ---- users -----------------------------------------------------------------------------------

  function users() {
    onSubmit($("person-form"), $("person-add"), $("person-error"), function () {
      return api.request("POST", path("users"), {
        name: $("person-name").value.trim(),
        email: $("person-email").value.trim(),
        role: $("person-role").value,
        password: $("person-password").value || null,
      });
    }, function (person) {
      $("person-form").reset();
      var title = person.name + " was added as " + person.role + ".";
      if (person.password) {
        reveal(title, "Their temporary password: give it to them privately.", person.password);
      } else if (person.existing_account) {
        reveal(title, "They already had a Parley account, so they sign in with their own password.", null);
      } else {
        reveal(title, "They sign in with the password you chose.", null);
      }
    });
    all("select.user-role").forEach(function (select) {
      var status = select.parentNode.querySelector(".role-status");
      select.addEventListener("change", function () {
        var before = select.dataset.role;
        select.disabled = true;
        status.className = "role-status small muted";
        status.textContent = "Saving…";
        api.call("PATCH", path("users", select.dataset.userId), { role: select.value })
          .then(function (user) {
            select.dataset.role = user.role;
            status.className = "role-status small ok";
            status.textContent = "Saved";
          })
          .catch(function (err) {
            select.value = before;
            status.className = "role-status form-error";
            status.textContent = err.message;
          })
          .finally(function () { select.disabled = false; });
      });
    });
  }

  // ---- webhooks --------------------------------------------------------------------------------

  function webhooks() {
    // "All interaction events" covers the family: its single events would be redundant.
    all("input.family-all").forEach(function (box) {
      box.addEventListener("change", function () {
        all('input[data-member-of="' + CSS.escape(box.dataset.family) + '"]').forEach(function (one) {
          one.disabled = box.checked;
          if (box.checked) one.checked = false;
        });
      });
    });
    onSubmit($("hook-form"), $("hook-create"), $("hook-error"), function () {
      return api.request("POST", path("webhooks"), {
        url: $("hook-url").value.trim(),
        description: $("hook-description").value.trim(),
        event_types: all("input.hook-event:checked").map(function (b) { return b.value; }),
      });
    }, function (hook) {
      $("hook-form").reset();
      reveal("Webhook for " + hook.url, "Its signing secret: the receiver checks each delivery's signature with it.", hook.secret);
    });
    all("section.hook").forEach(function (card) {
      var id = card.dataset.hookId;
      var error = card.querySelector(".hook-error");
      var toggle = card.querySelector(".hook-toggle");
      toggle.addEventListener("click", function () {
        toggle.disabled = true;
        act(error, "PATCH", path("webhooks", id), { is_active: toggle.dataset.active !== "true" })
          .then(function (done) { if (done) reload(); else toggle.disabled = false; });
      });
      confirmClick(card.querySelector(".hook-rotate"), "Really rotate?", function () {
        return act(error, "POST", path("webhooks", id, "rotate-secret")).then(function (hook) {
          if (hook) reveal("New signing secret for " + hook.url, "The old secret stopped signing: update the receiver now.", hook.secret);
        });
      });
      confirmClick(card.querySelector(".hook-delete"), "Really delete?", function () {
        return act(error, "DELETE", path("webhooks", id)).then(function (done) { if (done) reload(); });
      });
      all(".hook-redeliver", card).forEach(function (button) {
        button.addEventListener("click", function () {
          button.disabled = true;
          act(error, "POST", path("webhooks", id, "deliveries", button.dataset.deliveryId, "redeliver"))
            .then(function (queued) {
              if (queued) button.textContent = "Queued";
              else button.disabled = false;
            });
        });
      });
    });
  }

  // ---- channels --------------------------------------------------------------------------------

  function channels() {
    var kind = $("channel-kind");
    function chosen() {
      return $("channel-form").querySelector('fieldset[data-choice="' + CSS.escape(kind.value) + '"]');
    }
    function showChoice() {
      // A hidden fieldset is also disabled, so its required inputs do not block the submit.
      all("fieldset.kind-fields").forEach(function (fs) {
        var on = fs.dataset.choice === kind.value;
        fs.hidden = !on;
        fs.disabled = !on;
      });
    }
    kind.addEventListener("change", showChoice);
    showChoice();
    onSubmit($("channel-form"), $("channel-create"), $("channel-error"), function () {
      var option = kind.options[kind.selectedIndex];
      var body = {
        kind: option.dataset.kind,
        name: $("channel-name").value.trim(),
        config: JSON.parse(option.dataset.fixed || "{}"),
        secrets: {},
        default_queue_id: $("channel-queue").value || null,
      };
      all(".channel-setting", chosen()).forEach(function (input) {
        var value = input.value.trim();
        if (!value) return;
        if (input.dataset.lines) {
          value = value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
        }
        body[input.dataset.target][input.dataset.key] = value;
      });
      return api.request("POST", path("channels"), body);
    }, function (channel) {
      $("channel-form").reset();
      showChoice();
      reveal("Channel “" + channel.name + "” (" + channel.kind + ") was added",
        "Its own signing secret, for Parley's signed inbound contracts (the API channel, web forms, reviews' URL token).",
        channel.webhook_secret);
    });
    all("tr.channel-row").forEach(function (row) {
      var id = row.dataset.channelId;
      var error = row.querySelector(".channel-row-error");
      var form = row.querySelector(".rename-form");
      var name = row.querySelector(".channel-name");
      var toggle = row.querySelector(".channel-toggle");
      toggle.addEventListener("click", function () {
        toggle.disabled = true;
        act(error, "PATCH", path("channels", id), { is_active: row.dataset.active !== "true" })
          .then(function (done) { if (done) reload(); else toggle.disabled = false; });
      });
      function editing(on) {
        form.hidden = !on;
        name.hidden = on;
        error.textContent = "";
        if (on) form.querySelector("input").focus();
      }
      row.querySelector(".channel-rename").addEventListener("click", function () { editing(true); });
      form.querySelector(".rename-cancel").addEventListener("click", function () { editing(false); });
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        act(error, "PATCH", path("channels", id), { name: form.querySelector("input").value.trim() })
          .then(function (done) { if (done) reload(); });
      });
    });
  }

  // ---- canned replies --------------------------------------------------------------------------

  function cannedReplies() {
    var list = $("canned-list");
    var status = $("canned-status");
    var max = parseInt(main.dataset.max, 10) || 200;

    function rows() { return all("li.canned-row", list); }

    function setStatus(text, kind) {
      status.textContent = text;
      status.className = kind || "muted";
    }

    function renumber() {
      var found = rows();
      found.forEach(function (row, n) {
        row.querySelector(".canned-n").textContent = String(n + 1);
        row.querySelector(".canned-up").disabled = n === 0;
        row.querySelector(".canned-down").disabled = n === found.length - 1;
      });
      $("canned-empty").hidden = found.length > 0;
      $("canned-add").disabled = found.length >= max;
    }

    function changed() {
      setStatus("Unsaved changes.", "muted");
      renumber();
    }

    function wire(row) {
      row.querySelector(".canned-up").addEventListener("click", function (e) {
        if (row.previousElementSibling) list.insertBefore(row, row.previousElementSibling);
        changed();
        (e.currentTarget.disabled ? row.querySelector(".canned-down") : e.currentTarget).focus();
      });
      row.querySelector(".canned-down").addEventListener("click", function (e) {
        if (row.nextElementSibling) list.insertBefore(row.nextElementSibling, row);
        changed();
        (e.currentTarget.disabled ? row.querySelector(".canned-up") : e.currentTarget).focus();
      });
      row.querySelector(".canned-delete").addEventListener("click", function () {
        var next = row.nextElementSibling || row.previousElementSibling;
        list.removeChild(row);
        changed();
        (next ? next.querySelector(".canned-title") : $("canned-add")).focus();
      });
      all("input, textarea", row).forEach(function (input) { input.addEventListener("input", changed); });
    }

    function clearErrors() {
      $("canned-error").textContent = "";
      all(".canned-row .form-error", list).forEach(function (n) { n.textContent = ""; });
      all("[aria-invalid]", list).forEach(function (n) { n.removeAttribute("aria-invalid"); });
    }

    /* 422 fields ``replies.<n>.title|text`` go next to that row's input; others to the top. */
    function showErrors(result) {
      var err = (result.data && result.data.error) || {};
      var fields = err.fields || {};
      var elsewhere = [];
      var found = rows();
      Object.keys(fields).forEach(function (name) {
        var m = /^replies\.(\d+)\.(title|text)$/.exec(name);
        var row = m ? found[parseInt(m[1], 10)] : null;
        if (!row) { elsewhere.push(name + ": " + fields[name]); return; }
        row.querySelector(".canned-" + m[2] + "-error").textContent = fields[name];
        row.querySelector(".canned-" + m[2]).setAttribute("aria-invalid", "true");
      });
      var message = err.message || "The replies were not saved (HTTP " + result.status + ")";
      $("canned-error").textContent = message.charAt(0).toUpperCase() + message.slice(1) +
        (elsewhere.length ? " (" + elsewhere.join(", ") + ")" : ": see the marked replies") + ". Nothing was saved.";
      var first = list.querySelector("[aria-invalid]");
      if (first) first.focus();
    }

    rows().forEach(wire);
    renumber();

    $("canned-add").addEventListener("click", function () {
      var row = $("canned-template").content.firstElementChild.cloneNode(true);
      list.appendChild(row);
      wire(row);
      changed();
      row.querySelector(".canned-title").focus();
    });

    $("canned-save").addEventListener("click", function () {
      var save = $("canned-save");
      var replies = rows().map(function (row) {
        return { title: row.querySelector(".canned-title").value, text: row.querySelector(".canned-text").value };
      });
      save.disabled = true;
      clearErrors();
      setStatus("Saving…");
      api.request("PUT", path("canned-replies"), { replies: replies })
        .then(function (result) {
          if (!result.ok) { setStatus("Not saved.", "form-error"); showErrors(result); return; }
          var n = result.data.replies.length;
          setStatus("Saved " + n + (n === 1 ? " reply." : " replies."), "ok");
        })
        .catch(function (err) { setStatus("Not saved.", "form-error"); $("canned-error").textContent = err.message; })
        .finally(function () { save.disabled = false; });
    });
  }

  var pages = {
    "api-keys": apiKeys,
    users: users,
    webhooks: webhooks,
    channels: channels,
    "canned-replies": cannedReplies,
  };
  if (pages[main.dataset.admin]) pages[main.dataset.admin]();
})();
