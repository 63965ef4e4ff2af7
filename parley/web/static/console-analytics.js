/* Parley analytics dashboard: draws the charts of /console/analytics with Chart.js.
 *
 * The figures come from GET /api/v1/analytics/summary with the page's filter (the URL is in
 * main[data-summary-url]); the numbers under each chart are rendered by the server from the same
 * query. No inline scripts (the CSP forbids them); labels reach Chart.js as data, never HTML.
 * When every chart is drawn, main gets data-charts="ready" (or "error" with a message shown).
 */
(function () {
  "use strict";

  var main = document.getElementById("content");
  if (!main || main.dataset.page !== "analytics") return;
  var COLORS = ["#2f5bea", "#f0a733", "#2e9d6a", "#b3261e", "#7c9cf5", "#6b7280", "#e0663a", "#8b5cf6"];
  var SENTIMENT_COLORS = { positive: "#2e9d6a", neutral: "#9ca3af", negative: "#b3261e", unknown: "#d1d5db" };
  var charts = {};

  function status(text) {
    var el = document.getElementById("charts-status");
    if (el) el.textContent = text;
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({ animation: false, maintainAspectRatio: false }, config.options || {});
    charts[id] = new window.Chart(canvas, config);
    canvas.dataset.drawn = "true";
  }

  function bars(id, labels, data, label, horizontal) {
    draw(id, {
      type: "bar",
      data: { labels: labels, datasets: [{ label: label, data: data, backgroundColor: COLORS[0] }] },
      options: {
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: false } },
        scales: horizontal
          ? { x: { beginAtZero: true, ticks: { precision: 0 } } }
          : { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  function words(label) { return String(label).replace(/_/g, " "); }
  function pick(list, key) { return list.map(function (x) { return x[key]; }); }

  function render(s) {
    bars("chart-channel", pick(s.volume_by_channel, "label"), pick(s.volume_by_channel, "count"), "Interactions");
    var hours = [];
    for (var h = 0; h < 24; h++) hours.push((h < 10 ? "0" : "") + h + "h");
    bars("chart-hour", hours, s.volume_by_hour, "Interactions");
    var a = s.automation;
    draw("chart-automation", {
      type: "doughnut",
      data: {
        labels: ["Procedure", "Knowledge base", "A person", "Not recorded"],
        datasets: [{ data: [a.by_procedure, a.by_knowledge, a.by_human, a.unattributed], backgroundColor: COLORS.slice(0, 4) }],
      },
    });
    bars("chart-escalations", s.escalation_reasons.map(function (c) { return words(c.label); }),
      pick(s.escalation_reasons, "count"), "Hand-overs", true);
    draw("chart-csat", {
      type: "line",
      data: {
        labels: pick(s.csat.days, "day"),
        datasets: [
          { label: "Survey", data: pick(s.csat.days, "survey_average"), borderColor: COLORS[0], backgroundColor: COLORS[0], spanGaps: true },
          { label: "Predicted", data: pick(s.csat.days, "predicted_average"), borderColor: COLORS[1], backgroundColor: COLORS[1], borderDash: [6, 4], spanGaps: true },
        ],
      },
      options: { scales: { y: { min: 1, max: 5 } } },
    });
    draw("chart-sentiment", {
      type: "doughnut",
      data: {
        labels: pick(s.sentiment, "label"),
        datasets: [{ data: pick(s.sentiment, "count"), backgroundColor: s.sentiment.map(function (c) { return SENTIMENT_COLORS[c.label] || COLORS[5]; }) }],
      },
    });
    bars("chart-topics", pick(s.top_topics, "label"), pick(s.top_topics, "count"), "Interactions", true);
    bars("chart-keywords", pick(s.top_keywords, "label"), pick(s.top_keywords, "count"), "Interactions", true);
  }

  function load() {
    if (!window.Chart) { main.dataset.charts = "error"; status("Charts are unavailable."); return; }
    fetch(main.dataset.summaryUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("the server answered " + r.status);
        return r.json();
      })
      .then(function (s) {
        render(s);
        main.dataset.charts = "ready";
        status("");
      })
      .catch(function (e) {
        main.dataset.charts = "error";
        status("Could not load the charts: " + e.message);
      });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", load);
  else load();
})();
