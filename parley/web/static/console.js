/* Parley agent console: live updates, actions and keyboard shortcuts.
 *
 * One WebSocket to /api/v1/events, resumed with ?last_event_id= after a cut. Whatever the server
 * says (replayed events, "reload", or nothing), every (re)connection ends with a resync from the
 * server-rendered fragments, so the page always converges on what a fresh load would show.
 * Messages are merged by id: an event received twice, or a message we posted ourselves and then
 * hear about, is shown once.
 *
 * No inline scripts or handlers anywhere (the CSP forbids them): everything is bound here.
 * Customer text is only ever inserted as server-rendered, autoescaped HTML or as textContent.
 */
(function () {
  "use strict";

  var main = document.getElementById("content");
  if (!main) return;
  var page = main.dataset.page || "";
  var FRAGMENT = { "X-Parley-Fragment": "1" };
  var STALE_MS = 60000; // the server sends a heartbeat every 25 s

  var conn = {
    ws: null,
    state: "connecting",
    lastEventId: null,
    attempts: 0,
    timer: null,
    watchdog: null,
    everReady: false,
  };

  // ---- small helpers ---------------------------------------------------------------------------

  function $(id) { return document.getElementById(id); }

  function debounce(fn, ms) {
    var t = null;
    return function () {
      clearTimeout(t);
      t = setTimeout(fn, ms);
    };
  }

  function parseHTML(html) {
    return new DOMParser().parseFromString(html, "text/html");
  }

  function fetchText(url) {
    return fetch(url, { headers: FRAGMENT, credentials: "same-origin", cache: "no-store" }).then(
      function (r) {
        if (r.status === 401) { location.href = "/login"; throw new Error("signed out"); }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      }
    );
  }

  var api = window.ParleyApi.call;

  function showError(el, message) {
    if (!el) return;
    el.textContent = message || "";
    el.hidden = !message;
  }

  function toast(message) {
    var t = $("toast");
    if (!t) return;
    t.textContent = message;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.hidden = true; }, 6000);
  }

  // ---- the connection indicator, bound to the socket's real state ------------------------------

  var LABELS = { connecting: "Connecting…", online: "Live", offline: "Offline — reconnecting" };

  function setConn(state) {
    conn.state = state;
    var el = $("conn");
    if (!el) return;
    el.dataset.state = state;
    el.querySelector(".conn-label").textContent = LABELS[state];
  }

  function eventsURL() {
    var url = new URL("/api/v1/events", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (conn.lastEventId) url.searchParams.set("last_event_id", conn.lastEventId);
    return url.toString();
  }

  function armWatchdog() {
    clearTimeout(conn.watchdog);
    conn.watchdog = setTimeout(function () {
      // Silence longer than two heartbeats: the socket is dead even if the browser has not noticed.
      if (conn.ws) conn.ws.close();
    }, STALE_MS);
  }

  function connect() {
    clearTimeout(conn.timer);
    setConn(conn.everReady ? "offline" : "connecting");
    var ws;
    try {
      ws = new WebSocket(eventsURL());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    conn.ws = ws;
    ws.addEventListener("message", function (e) {
      if (ws !== conn.ws) return;
      armWatchdog();
      var event;
      try { event = JSON.parse(e.data); } catch (err) { return; }
      onEvent(event);
    });
    ws.addEventListener("close", function () {
      if (ws !== conn.ws) return;
      conn.ws = null;
      clearTimeout(conn.watchdog);
      setConn("offline");
      scheduleReconnect();
    });
    ws.addEventListener("error", function () { /* "close" follows and reconnects */ });
  }

  function scheduleReconnect() {
    clearTimeout(conn.timer);
    var delay = Math.min(15000, 500 * Math.pow(2, conn.attempts)) + Math.random() * 250;
    conn.attempts += 1;
    conn.timer = setTimeout(connect, delay);
  }

  function onEvent(event) {
    if (event.type === "ready") {
      conn.attempts = 0;
      conn.everReady = true;
      if (event.last_event_id) conn.lastEventId = event.last_event_id;
      setConn("online");
      if (page === "interaction") send({ type: "viewing", interaction_id: main.dataset.interactionId });
      resync(); // whatever happened while we were away (or before the socket opened)
      return;
    }
    if (event.type === "heartbeat") return;
    if (event.type === "reload") {
      conn.lastEventId = null; // the server cannot replay from there: start afresh
      resync();
      return;
    }
    if (event.id) conn.lastEventId = event.id;
    apply(event);
  }

  // ---- applying events to the page -------------------------------------------------------------

  function eventInteractionId(event) {
    if (event.interaction && event.interaction.id) return event.interaction.id;
    return (event.audience && event.audience.interaction_id) || null;
  }

  function apply(event) {
    var type = String(event.type || "");
    if (type === "typing" || type === "viewers.changed") {
      if (page === "interaction" && event.interaction_id === main.dataset.interactionId) {
        if (type === "typing") showTyping(event); else showViewers(event.viewers || []);
      }
      return; // ephemeral signals change nothing stored
    }
    if (page === "list") {
      if (type.indexOf("interaction.") === 0 || type === "message.created") refreshList();
    } else if (page === "interaction") {
      if (eventInteractionId(event) !== main.dataset.interactionId) return;
      // A new message or note: fetch what follows the last one shown. Anything else may have
      // added one (a transfer note) or changed one already shown (delivery status, sentiment
      // computed later: message.status, message.updated): reconcile the whole transcript.
      loadMessages(type !== "message.created" && type !== "note.created");
      refreshPanels();
    } else if (page === "board") {
      if (/^(interaction|queue|agent)\./.test(type)) refreshBoard();
    }
  }

  // ---- presence of others: who else is viewing, who is typing (ephemeral, never replayed) ------

  var typingTimers = {};

  function send(frame) {
    if (conn.ws && conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify(frame));
  }

  function showViewers(viewers) {
    var el = $("viewers");
    if (!el) return;
    var me = main.dataset.userId;
    var names = viewers.filter(function (v) { return v.user_id !== me; })
      .map(function (v) { return v.name; });
    el.textContent = names.length ? "Also viewing: " + names.join(", ") : "";
    el.hidden = !names.length;
  }

  function showTyping(event) {
    var el = $("typing");
    if (!el || (event.user_id && event.user_id === main.dataset.userId)) return;
    var who = event.role === "customer" ? "The customer" : event.name || "Someone";
    var key = event.user_id || event.role;
    if (typingTimers[key]) clearTimeout(typingTimers[key].timer);
    if (event.typing) {
      // "typing: true" lasts a few seconds unless repeated.
      typingTimers[key] = {
        who: who,
        timer: setTimeout(function () { delete typingTimers[key]; renderTyping(); }, 6000),
      };
    } else {
      delete typingTimers[key];
    }
    renderTyping();
  }

  function renderTyping() {
    var el = $("typing");
    var names = Object.keys(typingTimers).map(function (k) { return typingTimers[k].who; });
    el.textContent = names.length ? names.join(", ") + (names.length > 1 ? " are" : " is") + " typing…" : "";
    el.hidden = !names.length;
  }

  var lastTypingSent = 0;

  function typingChanged(active) {
    var id = main.dataset.interactionId;
    var form = $("composer");
    if (!form || form.dataset.mode === "note") return; // notes are not typing to the customer
    var now = Date.now();
    if (active && now - lastTypingSent < 2000) return;
    if (!active && !lastTypingSent) return;
    lastTypingSent = active ? now : 0;
    send({ type: "typing", interaction_id: id, typing: active });
  }

  function resync() {
    if (page === "list") refreshList();
    if (page === "interaction") { loadMessages(true); refreshPanels(); }
    if (page === "board") refreshBoard();
  }

  // The list: re-render the region from the server with the current filters, keep the selection.
  var refreshList = debounce(function () {
    var region = $("list-region");
    if (!region) return;
    var url = location.pathname + location.search;
    fetchText(url).then(function (html) {
      // The filters changed (htmx swapped the list and the address) while this was in flight.
      if (url !== location.pathname + location.search) return;
      // A filter request is in flight: htmx will swap into the region it already holds, so
      // leave it alone and look again once that is done.
      if (document.querySelector(".htmx-request")) { refreshList(); return; }
      var fresh = parseHTML(html).getElementById("list-region");
      var current = $("list-region");
      if (!fresh || !current) return;
      var selected = document.querySelector("#rows tr.selected");
      var number = selected ? selected.dataset.number : null;
      current.replaceWith(document.adoptNode(fresh));
      if (number) select(document.querySelector('#rows tr[data-number="' + number + '"]'), false);
    }).catch(function () { /* the next event or reconnect retries */ });
  }, 150);

  // The transcript: merge server-rendered messages by id, in sequence order.
  var messagesBusy = null;
  var messagesAgain = null;

  function loadMessages(full) {
    if (messagesBusy) {
      messagesAgain = messagesAgain || full ? true : false;
      return messagesBusy;
    }
    var list = $("transcript");
    if (!list) return Promise.resolve();
    var after = full ? 0 : Number(list.dataset.lastSeq || 0);
    var url = "/console/i/" + main.dataset.number + "/messages?after=" + after;
    messagesBusy = fetchText(url).then(function (html) {
      var doc = parseHTML("<ol>" + html + "</ol>");
      var incoming = Array.prototype.slice.call(doc.querySelectorAll("li.msg"));
      mergeMessages(list, incoming, full);
    }).catch(function () {}).then(function () {
      messagesBusy = null;
      if (messagesAgain !== null) {
        var again = messagesAgain;
        messagesAgain = null;
        loadMessages(again);
      }
    });
    return messagesBusy;
  }

  function mergeMessages(list, incoming, full) {
    var keep = {};
    incoming.forEach(function (node) {
      keep[node.dataset.id] = true;
      var existing = document.getElementById(node.id);
      if (existing) {
        if (existing.outerHTML !== node.outerHTML) existing.replaceWith(document.adoptNode(node));
        return;
      }
      var seq = Number(node.dataset.seq);
      var before = null;
      var items = list.querySelectorAll("li.msg");
      for (var n = 0; n < items.length; n++) {
        if (Number(items[n].dataset.seq) > seq) { before = items[n]; break; }
      }
      list.insertBefore(document.adoptNode(node), before);
    });
    if (full) {
      // A full resync is authoritative: drop anything the server no longer shows.
      Array.prototype.slice.call(list.querySelectorAll("li.msg")).forEach(function (li) {
        if (!keep[li.dataset.id]) li.remove();
      });
    }
    var all = list.querySelectorAll("li.msg");
    list.dataset.lastSeq = all.length ? all[all.length - 1].dataset.seq : "0";
    var empty = $("transcript-empty");
    if (empty) empty.hidden = all.length > 0;
    if (incoming.length) scrollTranscript();
  }

  function scrollTranscript() {
    var list = $("transcript");
    if (list) list.scrollTop = list.scrollHeight;
  }

  // Header, details and activity: swapped whole from the server.
  var refreshPanels = debounce(function () {
    fetchText("/console/i/" + main.dataset.number + "/panels").then(function (html) {
      var doc = parseHTML(html);
      ["i-header", "i-scheduled", "i-details", "i-activity"].forEach(function (id) {
        var fresh = doc.getElementById(id);
        var current = $(id);
        if (fresh && current) current.replaceWith(document.adoptNode(fresh));
      });
      syncComposer();
    }).catch(function () {});
  }, 120);

  var refreshBoard = debounce(function () {
    fetchText("/console/board/panel").then(function (html) {
      var fresh = parseHTML(html).getElementById("board-region");
      var current = $("board-region");
      if (fresh && current) {
        current.replaceWith(document.adoptNode(fresh));
        drawChart();
      }
    }).catch(function () {});
  }, 400);

  // ---- the interaction page: composer and actions ----------------------------------------------

  function interactionOpen() {
    var header = $("i-header");
    return !header || header.dataset.open === "true";
  }

  function syncComposer() {
    var form = $("composer");
    if (!form) return;
    var open = interactionOpen();
    form.dataset.closed = open ? "" : "true";
    Array.prototype.forEach.call(form.querySelectorAll("textarea, button, input, select"), function (el) {
      el.disabled = !open;
    });
    var text = $("composer-text");
    if (text && !open) text.placeholder = "This interaction is closed: it is read-only.";
  }

  function setMode(mode) {
    var form = $("composer");
    if (!form || form.dataset.closed === "true") return;
    form.dataset.mode = mode;
    var radio = $(mode === "note" ? "mode-note" : "mode-reply");
    if (radio) radio.checked = true;
    var text = $("composer-text");
    text.placeholder = mode === "note"
      ? "Write an internal note: only your team sees it…"
      : "Write a reply… (Enter to send, Shift+Enter for a new line)";
    text.focus();
  }

  function sendComposer() {
    var form = $("composer");
    var text = $("composer-text");
    var errorEl = $("composer-error");
    var body = text.value.trim();
    var file = attachedFile();
    if (!body && !file) { errorEl.textContent = "Write something first."; return; }
    var id = main.dataset.interactionId;
    var note = form.dataset.mode === "note";
    var path = "/api/v1/interactions/" + id + (note ? "/notes" : "/messages");
    var payload = { text: body };
    if (file) {
      // The file and the text leave together as one message (multipart).
      path = "/api/v1/interactions/" + id + "/files";
      payload = new FormData();
      payload.append("file", file);
      payload.append("text", body);
      payload.append("internal", note ? "true" : "false");
    }
    $("composer-send").disabled = true;
    errorEl.textContent = "";
    typingChanged(false);
    api("POST", path, payload).then(function () {
      text.value = "";
      clearAttachment();
      loadMessages(false); // shown at once; the event that follows is merged by id
      refreshPanels();
    }).catch(function (e) {
      errorEl.textContent = e.message;
    }).then(function () {
      $("composer-send").disabled = !interactionOpen();
    });
  }

  function attachedFile() {
    var input = $("composer-file");
    return input && input.files && input.files.length ? input.files[0] : null;
  }

  function showAttachment() {
    var file = attachedFile();
    $("composer-attached").hidden = !file;
    $("composer-file-name").textContent = file ? file.name + " (" + Math.ceil(file.size / 1024) + " KiB)" : "";
  }

  function clearAttachment() {
    var input = $("composer-file");
    if (input) input.value = "";
    if ($("composer-attached")) showAttachment();
  }

  function act(name) {
    var id = main.dataset.interactionId;
    var errorEl = $("action-error");
    showError(errorEl, "");
    return api("POST", "/api/v1/interactions/" + id + "/" + name, name === "clone" ? undefined : {})
      .then(function (result) {
        if (name === "clone" && result && result.number) {
          location.href = "/console/i/" + result.number;
          return;
        }
        refreshPanels();
      })
      .catch(function (e) { showError(errorEl, e.message); });
  }

  function splitTags(value) {
    return value.split(",").map(function (t) { return t.trim(); }).filter(Boolean);
  }

  function submitDialog(form) {
    var id = main.dataset.interactionId;
    var action = form.dataset.action;
    var data = new FormData(form);
    var body;
    var path = "/api/v1/interactions/" + id + "/" + action;
    if (action === "transfer") {
      body = { note: data.get("note") || "" };
      if (data.get("queue_id")) body.queue_id = data.get("queue_id");
      if (data.get("user_id")) body.user_id = data.get("user_id");
    } else if (action === "complete") {
      body = { outcome: data.get("outcome") || "resolved" };
      if (data.get("disposition")) body.disposition = data.get("disposition");
      if (data.get("notes")) body.notes = data.get("notes");
    } else if (action === "tags") {
      body = { add: splitTags(data.get("add") || ""), remove: splitTags(data.get("remove") || "") };
    }
    var errorEl = form.querySelector(".form-error");
    errorEl.textContent = "";
    api("POST", path, body).then(function () {
      form.reset();
      form.closest("dialog").close();
      refreshPanels();
    }).catch(function (e) { errorEl.textContent = e.message; });
  }

  function openDialog(id) {
    var dialog = $(id);
    if (!dialog || dialog.open) return;
    var err = dialog.querySelector(".form-error");
    if (err) err.textContent = "";
    dialog.showModal();
  }

  function bindInteraction() {
    var form = $("composer");
    if (!form) return;
    form.addEventListener("submit", function (e) { e.preventDefault(); sendComposer(); });
    form.addEventListener("change", function (e) {
      if (e.target.name === "mode") setMode(e.target.value);
      if (e.target.id === "composer-file") showAttachment();
      if (e.target.id === "canned" && e.target.value) {
        var text = $("composer-text");
        text.value = (text.value ? text.value + "\n" : "") + e.target.value;
        e.target.value = "";
        text.focus();
      }
    });
    $("composer-file-clear").addEventListener("click", clearAttachment);
    $("composer-text").addEventListener("input", function (e) { typingChanged(e.target.value !== ""); });
    $("composer-text").addEventListener("blur", function () { typingChanged(false); });
    $("composer-text").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendComposer(); }
      if (e.key === "Escape") e.target.blur();
    });
    // Header buttons are replaced on refresh: delegate.
    main.addEventListener("click", function (e) {
      var button = e.target.closest("button");
      if (!button || button.disabled) return;
      if (button.dataset.act) act(button.dataset.act);
      if (button.dataset.dialog) openDialog(button.dataset.dialog);
      if (button.hasAttribute("data-close")) button.closest("dialog").close();
    });
    // Forms with their own handler (data-handler: console-later.js) are left to it.
    Array.prototype.forEach.call(document.querySelectorAll("dialog form:not([data-handler])"), function (f) {
      f.addEventListener("submit", function (e) { e.preventDefault(); submitDialog(f); });
    });
    scrollTranscript();
  }

  // ---- the list: selection ---------------------------------------------------------------------

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#rows tr.row")); }

  function select(row, focus) {
    rows().forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-selected"); });
    if (!row) return;
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    if (focus !== false) {
      var link = row.querySelector("a.open-link");
      if (link) link.focus();
    }
  }

  function move(delta) {
    var all = rows();
    if (!all.length) return;
    var current = all.indexOf(document.querySelector("#rows tr.selected"));
    var next = current < 0 ? (delta > 0 ? 0 : all.length - 1) : Math.max(0, Math.min(all.length - 1, current + delta));
    select(all[next]);
  }

  // ---- the board chart -------------------------------------------------------------------------

  var chart = null;
  var COLORS = ["#2f5bea", "#7c9cf5", "#f0a733", "#e0663a", "#b3261e", "#6b7280"];

  function drawChart() {
    var canvas = $("aging-chart");
    if (!canvas || !window.Chart) return;
    var data;
    try { data = JSON.parse(canvas.dataset.chart); } catch (e) { return; }
    if (chart) chart.destroy();
    chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, n) {
          return { label: s.label, data: s.data, backgroundColor: COLORS[n % COLORS.length] };
        }),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  // ---- presence --------------------------------------------------------------------------------

  function bindPresence() {
    var sel = $("presence");
    if (!sel) return;
    sel.addEventListener("change", function () {
      var wanted = sel.value;
      api("PUT", "/api/v1/me/presence", { presence: wanted }).then(function (agent) {
        sel.dataset.presence = (agent && agent.presence) || wanted;
        sel.value = sel.dataset.presence;
      }).catch(function (e) {
        sel.value = sel.dataset.presence;
        toast("Could not change your presence: " + e.message);
      });
    });
  }

  // ---- keyboard shortcuts ----------------------------------------------------------------------

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function click(id) {
    var el = $(id);
    if (el && !el.disabled) el.click();
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target) || document.querySelector("dialog[open]")) return;
    var key = e.key;
    var handled = true;
    if (key === "?") {
      window.dispatchEvent(new CustomEvent("parley-help"));
    } else if (key === "/" && $("q")) {
      $("q").focus();
      $("q").select();
    } else if (page === "list" && (key === "j" || key === "k")) {
      move(key === "j" ? 1 : -1);
    } else if (page === "list" && (key === "o" || (key === "Enter" && e.target === document.body))) {
      var row = document.querySelector("#rows tr.selected");
      if (row) location.href = "/console/i/" + row.dataset.number;
      else handled = false;
    } else if (page === "interaction" && key === "c") {
      click("btn-claim");
    } else if (page === "interaction" && key === "r") {
      setMode("reply");
    } else if (page === "interaction" && key === "n") {
      setMode("note");
    } else if (page === "interaction" && key === "t") {
      click("btn-transfer");
    } else if (page === "interaction" && key === "w") {
      click("btn-wrap-up");
    } else if (page === "interaction" && key === "e") {
      click("btn-complete");
    } else if (page === "interaction" && key === "l") {
      click("composer-later");
    } else if (page === "interaction" && key === "u") {
      location.href = "/console";
    } else {
      handled = false;
    }
    if (handled) e.preventDefault();
  });

  // ---- Alpine: the help overlay (registered for the CSP build: no expressions are evaluated) ----

  document.addEventListener("alpine:init", function () {
    window.Alpine.data("help", function () {
      return {
        open: false,
        toggle: function () { this.open = !this.open; },
        close: function () { this.open = false; },
      };
    });
  });
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-help-toggle]")) window.dispatchEvent(new CustomEvent("parley-help"));
  });

  // ---- start -----------------------------------------------------------------------------------

  bindPresence();
  if (page === "interaction") { bindInteraction(); syncComposer(); }
  // Another script changed something this page shows (console-later.js scheduled a reply).
  window.addEventListener("parley-changed", function () {
    if (page === "interaction") refreshPanels();
  });
  if (page === "board") drawChart();
  connect();

  // Read-only state for tests and for the curious.
  window.parleyConsole = {
    get state() { return conn.state; },
    get lastEventId() { return conn.lastEventId; },
  };
})();
