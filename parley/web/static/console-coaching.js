/* Parley console: coaching pages (review form, acknowledging coaching notes).
 *
 * Bound here, never inline (the CSP forbids inline scripts and handlers). Changes go through the
 * REST API with the session cookie and the X-CSRF-Token header; errors are shown in place.
 */
(function () {
  "use strict";

  var main = document.getElementById("content");
  if (!main) return;

  var api = window.ParleyApi.call;

  // ---- the review form -------------------------------------------------------------------------

  var form = document.getElementById("review-form");
  var select = document.querySelector("[data-scorecard-select]");

  function currentFieldset() {
    if (!select) return null;
    return document.querySelector('fieldset[data-scorecard="' + select.value + '"]');
  }

  function showScorecard() {
    var wanted = select ? select.value : "";
    document.querySelectorAll("fieldset[data-scorecard]").forEach(function (fs) {
      fs.hidden = fs.getAttribute("data-scorecard") !== wanted;
    });
  }

  if (select) select.addEventListener("change", showScorecard);

  if (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var error = document.getElementById("review-error");
      var button = document.getElementById("review-submit");
      error.textContent = "";
      var fs = currentFieldset();
      var scores = {};
      var missing = [];
      if (fs) {
        fs.querySelectorAll("select[data-criterion]").forEach(function (s) {
          var key = s.getAttribute("data-criterion");
          if (s.value === "") missing.push(key);
          else scores[key] = parseInt(s.value, 10);
        });
      }
      if (missing.length) {
        error.textContent = "Score every criterion (missing: " + missing.join(", ") + ").";
        return;
      }
      button.disabled = true;
      api("POST", "/api/v1/reviews", {
        interaction_id: form.getAttribute("data-interaction-id"),
        scorecard_id: select.value,
        scores: scores,
        note: document.getElementById("review-note").value,
      }).then(function () {
        location.assign("/console/coaching?reviewed=" + encodeURIComponent(form.getAttribute("data-number")));
      }).catch(function (err) {
        error.textContent = err.message;
        button.disabled = false;
      });
    });
  }

  // ---- acknowledging a coaching note -----------------------------------------------------------

  main.addEventListener("click", function (e) {
    var button = e.target.closest("[data-acknowledge]");
    if (!button) return;
    var id = button.getAttribute("data-acknowledge");
    var holder = button.parentNode;
    var error = holder.querySelector(".form-error");
    button.disabled = true;
    api("POST", "/api/v1/reviews/" + encodeURIComponent(id) + "/acknowledge").then(function (review) {
      var done = document.createElement("span");
      done.className = "badge ok ack-done";
      var when = (review && review.acknowledged_at) || "";
      done.textContent = "Acknowledged " + when.replace("T", " ").slice(0, 16);
      holder.textContent = "";
      holder.appendChild(done);
    }).catch(function (err) {
      if (error) error.textContent = err.message;
      button.disabled = false;
    });
  });
})();
