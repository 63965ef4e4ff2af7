/* Parley console: "send later" on the interaction page.
 *
 * The dialog (#dlg-later, opened by console.js like every dialog) schedules the composer's reply
 * through POST /api/v1/interactions/{id}/scheduled-messages; the pending replies (#i-scheduled,
 * refreshed with the other panels) each have a Cancel button that asks once more before it acts.
 * After a change it fires "parley-changed" so console.js refreshes the panels at once.
 */
(function () {
  "use strict";

  var main = document.querySelector("main[data-page='interaction']");
  var dialog = document.getElementById("dlg-later");
  if (!main || !dialog) return;
  var form = dialog.querySelector("form");
  var input = document.getElementById("later-at");
  var errorEl = form.querySelector(".form-error");
  var base = "/api/v1/interactions/" + main.dataset.interactionId + "/scheduled-messages";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* The value a datetime-local input takes: local time, to the minute. */
  function local(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function nineOn(daysAhead) {
    var d = new Date();
    d.setDate(d.getDate() + daysAhead);
    d.setHours(9, 0, 0, 0);
    return d;
  }

  function pick(choice) {
    var now = new Date();
    if (choice === "tomorrow") return nineOn(1);
    if (choice === "monday") return nineOn(((8 - now.getDay()) % 7) || 7);
    var d = new Date(now.getTime() + Number(choice) * 60000);
    d.setSeconds(0, 0);
    return d;
  }

  function changed() { window.dispatchEvent(new CustomEvent("parley-changed")); }

  // Opening: a sensible default (in an hour) and no time in the past.
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-dialog='dlg-later']")) {
      input.min = local(new Date());
      if (!input.value || new Date(input.value) <= new Date()) input.value = local(pick(60));
      errorEl.textContent = "";
    }
  }, true);

  form.addEventListener("click", function (e) {
    var quick = e.target.closest("[data-later]");
    if (quick) input.value = local(pick(quick.dataset.later));
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    errorEl.textContent = "";
    var composer = document.getElementById("composer");
    var text = document.getElementById("composer-text");
    if (composer.dataset.mode === "note") {
      errorEl.textContent = "Internal notes are added at once: switch to Reply to send later.";
      return;
    }
    if (!text.value.trim()) { errorEl.textContent = "Write the reply in the composer first."; return; }
    var when = new Date(input.value);
    if (isNaN(when.getTime())) { errorEl.textContent = "Choose a date and time."; return; }
    window.ParleyApi.call("POST", base, {
      text: text.value.trim(),
      send_at: when.toISOString(),
      cancel_on_reply: document.getElementById("later-cancel").checked,
    }).then(function () {
      text.value = "";
      dialog.close();
      changed();
    }).catch(function (err) { errorEl.textContent = err.message; });
  });

  // Cancel: the first click asks, the second acts (the list is replaced on refresh: delegate).
  main.addEventListener("click", function (e) {
    var button = e.target.closest("[data-scheduled-cancel]");
    if (!button || button.disabled) return;
    if (button.dataset.armed !== "true") {
      button.dataset.armed = "true";
      button.textContent = "Cancel this reply?";
      return;
    }
    button.disabled = true;
    window.ParleyApi.call("POST", base + "/" + button.dataset.scheduledCancel + "/cancel")
      .then(changed)
      .catch(function (err) {
        button.disabled = false;
        button.textContent = err.message;
      });
  });
})();
