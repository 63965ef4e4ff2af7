/* Parley's customer chat widget: one script tag, no framework, no build step (docs/widget.md).
 *
 * <script src="https://parley.example.com/widget.js" async data-channel="<channel id>"
 *         data-title="Chat with us" data-greeting="Hi!" data-color="#2f6f4f"
 *         data-position="right"></script>
 *
 * Safe on any page and under a strict Content-Security-Policy: everything lives in a Shadow DOM
 * styled by a constructed stylesheet (no style attributes, no <style> tags, no inline script, no
 * eval); every text from customers, agents, automation and the channel's settings is rendered
 * with textContent, never as HTML. Messages carry client-made ids (retries are stored once) and
 * are shown by server id (a message replayed after a reconnect is never shown twice).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.channel || window.__parleyWidgetLoaded) return;
  window.__parleyWidgetLoaded = true;
  var ds = script.dataset;
  var server = (ds.server || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var base = server + "/widget/v1/" + encodeURIComponent(ds.channel);
  var storeKey = "parley:" + ds.channel;
  var COLOR = /^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{1,20}|rgba?\([0-9.,%\s]{5,40}\))$/;
  var TYPING_SHOWN_MS = 6000, TYPING_EVERY_MS = 2500, STALE_MS = 60000;
  var CSS_TEXT = [
    ":host{all:initial;--pw-accent:__ACCENT__}",
    ".pw{position:fixed;bottom:20px;z-index:2147483000;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2330}",
    ".pw.right{right:20px}.pw.left{left:20px}",
    ".launcher{width:56px;height:56px;border-radius:50%;border:0;background:var(--pw-accent);color:#fff;cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.22);display:grid;place-items:center}",
    ".pw.right .launcher{margin-left:auto}.launcher svg{width:26px;height:26px;fill:currentColor}",
    ".launcher:focus-visible,button:focus-visible,textarea:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}",
    ".panel{width:370px;max-width:calc(100vw - 40px);height:540px;max-height:calc(100vh - 110px);margin-bottom:12px;background:#fff;border-radius:16px;box-shadow:0 12px 40px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden}",
    ".panel[hidden],[hidden]{display:none!important}",
    ".head{display:flex;align-items:center;gap:8px;padding:12px 14px;background:var(--pw-accent);color:#fff}",
    ".title{font-size:15px;margin:0;font-weight:700;flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}",
    ".status{font-size:12px;opacity:.85}",
    ".head button{background:transparent;border:1px solid rgba(255,255,255,.5);color:#fff;border-radius:8px;cursor:pointer;font:inherit;font-size:12px;padding:3px 8px}",
    ".head .close{font-size:18px;line-height:1;border:0}",
    ".log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:8px;background:#f6f7f9}",
    ".msg{max-width:82%;padding:8px 11px;border-radius:14px;background:#fff;border:1px solid #e3e6eb;overflow-wrap:anywhere}",
    ".msg .who{display:block;font-size:11px;font-weight:700;color:#5f6b7a;margin-bottom:2px}",
    ".msg .text{margin:0;white-space:pre-wrap}",
    ".msg.customer{align-self:flex-end;background:var(--pw-accent);color:#fff;border-color:transparent}",
    ".msg.customer .who{color:rgba(255,255,255,.8)}",
    ".msg.agent{align-self:flex-start;border-left:3px solid var(--pw-accent)}",
    ".msg.assistant{align-self:flex-start;background:#eef1f6;border-style:dashed}",
    ".msg.greeting .who{display:none}",
    ".file{display:block;margin-top:4px;color:inherit;text-decoration:underline}",
    ".thumb{display:block;max-width:200px;max-height:160px;border-radius:8px;margin-bottom:2px}",
    ".state{display:block;font-size:11px;opacity:.75}",
    ".retry{margin-top:4px;font:inherit;font-size:12px;background:#fff;color:#a32020;border:1px solid #a32020;border-radius:8px;cursor:pointer}",
    ".notice{font-size:12px;color:#a32020;margin:0;text-align:center}",
    ".typing{padding:4px 14px;font-size:12px;color:#5f6b7a;font-style:italic;background:#f6f7f9}",
    ".composer{display:flex;align-items:flex-end;gap:6px;padding:10px;border-top:1px solid #e3e6eb}",
    ".input,.comment{flex:1;resize:none;border:1px solid #d5dae1;border-radius:10px;padding:8px 10px;font:inherit;color:inherit;max-height:120px}",
    ".attach{width:36px;height:36px;border:0;background:transparent;cursor:pointer;color:#5f6b7a;display:grid;place-items:center}",
    ".attach svg{width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:1.8;stroke-linecap:round}",
    ".send,.rate,.again{border:0;background:var(--pw-accent);color:#fff;border-radius:10px;padding:8px 14px;font:inherit;font-weight:600;cursor:pointer}",
    ".rate:disabled{opacity:.5;cursor:default}",
    ".again{background:transparent;color:var(--pw-accent);border:1px solid currentColor}",
    ".csat{padding:14px;border-top:1px solid #e3e6eb;display:flex;flex-direction:column;gap:8px}",
    ".ask{margin:0;font-weight:700}",
    ".stars{display:flex;gap:4px}.star{font-size:26px;line-height:1;background:transparent;border:0;cursor:pointer;color:#c5cbd3;padding:0 2px}",
    ".star.on{color:#f2a81d}",
    "@media (max-width:480px){.panel{width:calc(100vw - 24px);height:calc(100vh - 100px)}.pw.right{right:12px}.pw.left{left:12px}}",
  ].join("\n");

  var memory = {};
  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { return memory; }
  }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { memory = state; }
  }
  var state = load(); // {token, chatId, lastEventId, ended}
  var config = { title: ds.title || "Chat with us", greeting: ds.greeting || "", max_upload_bytes: 0 };

  // --- the DOM (all built with createElement + textContent) ------------------------------------
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function icon(path) {
    var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("aria-hidden", "true");
    var p = document.createElementNS(ns, "path"); p.setAttribute("d", path); svg.appendChild(p);
    return svg;
  }
  var host = el("div");
  host.setAttribute("data-parley-widget", "");
  var root = host.attachShadow({ mode: "open" });
  var frame = el("div", "pw " + (ds.position === "left" ? "left" : "right"));
  var launcher = el("button", "launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-label", "Open chat");
  launcher.setAttribute("aria-expanded", "false");
  launcher.appendChild(icon("M4 4h16v11H8l-4 4z"));
  var panel = el("section", "panel");
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  var head = el("header", "head");
  var title = el("h2", "title", config.title);
  var status = el("span", "status", "");
  var endBtn = el("button", "end", "End chat"); endBtn.type = "button";
  var closeBtn = el("button", "close", "\u00d7"); closeBtn.type = "button";
  closeBtn.setAttribute("aria-label", "Close chat");
  head.append(title, status, endBtn, closeBtn);
  var log = el("div", "log");
  log.setAttribute("role", "log"); log.setAttribute("aria-live", "polite");
  var greeting = el("div", "msg assistant greeting");
  greeting.append(el("p", "text", config.greeting));
  greeting.hidden = !config.greeting;
  log.appendChild(greeting);
  var typing = el("div", "typing", ""); typing.hidden = true;
  var composer = el("form", "composer");
  var attach = el("button", "attach"); attach.type = "button";
  attach.setAttribute("aria-label", "Attach a file");
  attach.appendChild(icon("M16 6v10a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10a1 1 0 0 1-2 0V6"));
  var fileInput = el("input"); fileInput.type = "file"; fileInput.hidden = true;
  fileInput.accept = "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain";
  var input = el("textarea", "input"); input.rows = 1; input.maxLength = 10000;
  input.placeholder = "Write a message\u2026"; input.setAttribute("aria-label", "Message");
  var sendBtn = el("button", "send", "Send"); sendBtn.type = "submit";
  composer.append(attach, fileInput, input, sendBtn);
  var csat = el("form", "csat"); csat.hidden = true;
  var stars = el("div", "stars"); stars.setAttribute("role", "radiogroup");
  stars.setAttribute("aria-label", "Rating");
  var rating = 0;
  for (var i = 1; i <= 5; i++) {
    var star = el("button", "star", "\u2605"); star.type = "button"; star.value = String(i);
    star.setAttribute("aria-label", i + " out of 5"); stars.appendChild(star);
  }
  var comment = el("textarea", "comment"); comment.rows = 2; comment.maxLength = 2000;
  comment.placeholder = "Anything to add? (optional)"; comment.setAttribute("aria-label", "Comment");
  var rate = el("button", "rate", "Send rating"); rate.type = "submit"; rate.disabled = true;
  var again = el("button", "again", "Start a new chat"); again.type = "button";
  csat.append(el("p", "ask", "How did we do?"), stars, comment, rate, again);
  panel.append(head, log, typing, composer, csat);
  frame.append(panel, launcher);
  root.appendChild(frame);

  function style(color) {
    var css = CSS_TEXT.replace("__ACCENT__", color && COLOR.test(color) ? color : "#2f5bea");
    try {
      var sheet = new CSSStyleSheet(); sheet.replaceSync(css); root.adoptedStyleSheets = [sheet];
    } catch (e) { /* very old browser: unstyled but working */ }
  }
  style(ds.color);

  // --- messages, shown once each --------------------------------------------------------------
  var byId = new Map(), byClientId = new Map();
  function label(m) {
    if (m.role === "customer") return "You";
    if (m.role === "assistant") return (m.author_name || "Assistant") + " \u00b7 automated";
    return m.author_name || "Agent";
  }
  function safeUrl(url) { return typeof url === "string" && url.indexOf("/widget/v1/") === 0 ? server + url : null; }
  function fill(node, m) {
    node.className = "msg " + ({ customer: "customer", agent: "agent", assistant: "assistant" }[m.role] || "agent");
    node.textContent = "";
    node.append(el("span", "who", label(m)));
    var files = m.attachments || [];
    var onlyName = files.length === 1 && files[0].name === m.text;
    if (m.text && !onlyName) node.append(el("p", "text", m.text));
    files.forEach(function (f) {
      var url = safeUrl(f.url), link = el(url ? "a" : "span", "file");
      if (url) { link.href = url; link.target = "_blank"; link.rel = "noopener noreferrer"; }
      if (url && /^image\/(png|jpeg|gif|webp)$/.test(f.content_type)) {
        var img = el("img", "thumb"); img.src = url; img.alt = f.name; link.append(img);
      }
      link.append(el("span", "file-name", f.name));
      node.append(link);
    });
    if (m.failed) node.append(el("button", "retry", "Not sent \u2014 retry"));
    else if (m.sending) node.append(el("span", "state", "Sending\u2026"));
    if (m.id) node.dataset.id = m.id;
    node.dataset.seq = m.seq ? String(m.seq) : "";
  }
  function place(node, m) {
    if (!m.seq) { if (!node.parentNode) log.appendChild(node); return; }
    var after = null;
    Array.prototype.forEach.call(log.children, function (c) {
      if (!after && c !== node && c.dataset.seq && Number(c.dataset.seq) > m.seq) after = c;
    });
    if (after) log.insertBefore(node, after); else if (node.parentNode !== log || node.nextSibling) log.appendChild(node);
  }
  function upsert(m) {
    var node = byId.get(m.id) || (m.client_message_id && byClientId.get(m.client_message_id));
    if (!node) node = el("div");
    fill(node, m);
    if (m.id) byId.set(m.id, node);
    if (m.client_message_id) byClientId.set(m.client_message_id, node);
    place(node, m);
    log.scrollTop = log.scrollHeight;
    return node;
  }

  // --- the REST API ---------------------------------------------------------------------------
  function call(method, path, body, isForm) {
    var headers = {};
    if (state.token) headers["X-Visitor-Token"] = state.token;
    if (body && !isForm) headers["Content-Type"] = "application/json";
    return fetch(base + path, {
      method: method, headers: headers, credentials: "omit",
      body: body ? (isForm ? body : JSON.stringify(body)) : undefined,
    }).then(function (r) {
      return r.text().then(function (t) {
        var data = null; try { data = t ? JSON.parse(t) : null; } catch (e) { /* not JSON */ }
        if (!r.ok) { var err = new Error("HTTP " + r.status); err.status = r.status; err.data = data; throw err; }
        return data;
      });
    });
  }
  function retrying(fn, attempt) {
    attempt = attempt || 0;
    return fn().catch(function (err) {
      var transient = !err.status || err.status >= 500 || err.status === 429;
      if (!transient || attempt >= 5) throw err;
      var delay = Math.min(8000, 400 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
      return new Promise(function (ok) { setTimeout(ok, delay); }).then(function () { return retrying(fn, attempt + 1); });
    });
  }
  var starting = null;
  function ensureChat() {
    if (state.chatId && !state.ended) return Promise.resolve();
    if (!starting) {
      starting = call("POST", "/chats", { url: location.href.slice(0, 2000), title: document.title.slice(0, 500), referrer: document.referrer.slice(0, 2000) || null })
        .then(function (c) {
          state = { token: c.visitor_token, chatId: c.chat_id, lastEventId: null, ended: false };
          save(); connect();
        })
        .finally(function () { starting = null; });
    }
    return starting;
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }
  function deliver(m, attemptFn) {
    var node = upsert(m);
    return ensureChat().then(function () { return retrying(attemptFn); })
      .then(function (saved) { upsert(saved); })
      .catch(function () {
        m.failed = true; m.sending = false; fill(node, m);
        node.querySelector(".retry").addEventListener("click", function () { m.failed = false; m.sending = true; deliver(m, attemptFn); });
      });
  }
  function sendText(text) {
    var cid = newId();
    deliver({ role: "customer", text: text, client_message_id: cid, sending: true }, function () {
      return call("POST", "/chats/" + state.chatId + "/messages", { text: text, client_message_id: cid });
    });
  }
  function sendFile(file) {
    if (config.max_upload_bytes && file.size > config.max_upload_bytes) {
      log.appendChild(el("p", "notice", "That file is too large to send.")); return;
    }
    var cid = newId();
    deliver({ role: "customer", text: file.name, client_message_id: cid, sending: true, attachments: [{ name: file.name, content_type: file.type }] }, function () {
      var form = new FormData(); form.append("file", file); form.append("client_message_id", cid);
      return call("POST", "/chats/" + state.chatId + "/files", form, true);
    });
  }
  function transcript() {
    if (!state.chatId) return Promise.resolve();
    return call("GET", "/chats/" + state.chatId + "/messages").then(function (list) {
      (list || []).forEach(upsert);
    }).catch(function (err) {
      if (err.status === 404 || err.status === 403) { forget(err.status === 403); }
    });
  }
  function forget(token) {
    state = { token: token ? null : state.token, chatId: null, lastEventId: null, ended: false };
    save();
  }

  // --- the live stream: resume by last event id, reconnect with jittered backoff --------------
  var sock = null, attempts = 0, lastHeard = 0, retryTimer = null, typingTimer = null;
  function connect() {
    if (sock || !state.chatId || state.ended || !navigator.onLine) return;
    clearTimeout(retryTimer);
    var q = new URLSearchParams({ token: state.token });
    if (state.lastEventId) q.set("last_event_id", state.lastEventId);
    var ws = new WebSocket(base.replace(/^http/, "ws") + "/chats/" + state.chatId + "/ws?" + q.toString());
    sock = ws; lastHeard = Date.now();
    ws.onopen = function () { attempts = 0; };
    ws.onmessage = function (e) { lastHeard = Date.now(); try { handle(JSON.parse(e.data)); } catch (x) { /* ignore */ } };
    ws.onclose = function () {
      if (sock === ws) sock = null;
      if (state.chatId && !state.ended) {
        status.textContent = "Reconnecting\u2026";
        var delay = Math.min(30000, 500 * Math.pow(2, attempts++)) * (0.5 + Math.random() / 2);
        retryTimer = setTimeout(connect, delay);
      }
    };
  }
  function disconnect() { if (sock) { var s = sock; sock = null; s.close(); } }
  setInterval(function () { if (sock && Date.now() - lastHeard > STALE_MS) sock.close(); }, 10000);
  window.addEventListener("offline", function () { if (sock) sock.close(); });
  window.addEventListener("online", function () { attempts = 0; connect(); });
  function remember(id) { if (id) { state.lastEventId = id; save(); } }
  function handle(ev) {
    if (ev.type === "reload") transcript();
    else if (ev.type === "ready") {
      status.textContent = "Online"; // subscribed: from here on nothing is missed
      if (!ev.last_event_id) transcript();
      if (ev.ended) ended();
    }
    else if (ev.type === "message.created" || ev.type === "message.status") {
      if (ev.message.role !== "customer") showTyping(false);
      upsert(ev.message); remember(ev.id);
    } else if (ev.type === "chat.ended") { remember(ev.id); ended(); }
    else if (ev.type === "typing") showTyping(ev.typing, ev.name);
  }
  function showTyping(on, name) {
    clearTimeout(typingTimer);
    typing.hidden = !on;
    typing.textContent = on ? (name || "Agent") + " is typing\u2026" : "";
    if (on) typingTimer = setTimeout(function () { showTyping(false); }, TYPING_SHOWN_MS);
  }
  var typingSent = 0, idleTimer = null;
  function signal(on) {
    if (sock && sock.readyState === 1) sock.send(JSON.stringify({ type: "typing", typing: on }));
  }
  function typed() {
    clearTimeout(idleTimer);
    if (!input.value.trim()) { if (typingSent) { typingSent = 0; signal(false); } return; }
    if (Date.now() - typingSent > TYPING_EVERY_MS) { typingSent = Date.now(); signal(true); }
    idleTimer = setTimeout(function () { typingSent = 0; signal(false); }, 4000);
  }

  // --- the end, and the rating ----------------------------------------------------------------
  function ended() {
    state.ended = true; save(); disconnect(); showTyping(false);
    composer.hidden = true; endBtn.hidden = true; csat.hidden = false; status.textContent = "Chat ended";
  }
  function restart() {
    forget(false);
    Array.prototype.slice.call(log.children).forEach(function (c) { if (c !== greeting) c.remove(); });
    byId.clear(); byClientId.clear();
    rating = 0; comment.value = ""; rate.disabled = true; csat.hidden = true;
    Array.prototype.forEach.call(stars.children, function (s) { s.classList.remove("on"); s.setAttribute("aria-pressed", "false"); });
    csat.querySelector(".ask").textContent = "How did we do?";
    composer.hidden = false; endBtn.hidden = false; status.textContent = "";
  }

  // --- wiring ---------------------------------------------------------------------------------
  function open(on) {
    panel.hidden = !on; launcher.setAttribute("aria-expanded", String(on));
    launcher.setAttribute("aria-label", on ? "Close chat" : "Open chat");
    if (on) { input.focus(); log.scrollTop = log.scrollHeight; }
  }
  launcher.addEventListener("click", function () { open(panel.hidden); });
  closeBtn.addEventListener("click", function () { open(false); });
  composer.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = ""; clearTimeout(idleTimer);
    if (typingSent) { typingSent = 0; signal(false); }
    sendText(text);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); composer.requestSubmit(); }
  });
  input.addEventListener("input", typed);
  attach.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    Array.prototype.forEach.call(fileInput.files || [], sendFile); fileInput.value = "";
  });
  endBtn.addEventListener("click", function () {
    if (!state.chatId) { open(false); return; }
    call("POST", "/chats/" + state.chatId + "/end").then(ended, ended);
  });
  stars.addEventListener("click", function (e) {
    var star = e.target.closest ? e.target.closest(".star") : null;
    if (!star) return;
    rating = Number(star.value); rate.disabled = false;
    Array.prototype.forEach.call(stars.children, function (s) {
      var on = Number(s.value) <= rating; s.classList.toggle("on", on); s.setAttribute("aria-pressed", String(on));
    });
  });
  csat.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!rating || !state.chatId) return;
    rate.disabled = true;
    call("POST", "/chats/" + state.chatId + "/survey", { rating: rating, comment: comment.value.trim() || null })
      .then(function () { csat.querySelector(".ask").textContent = "Thank you for your feedback!"; stars.hidden = comment.hidden = rate.hidden = true; })
      .catch(function () { rate.disabled = false; });
  });
  again.addEventListener("click", function () { stars.hidden = comment.hidden = rate.hidden = false; restart(); });

  function start() {
    document.body.appendChild(host);
    call("GET", "/config").then(function (c) {
      config.max_upload_bytes = c.max_upload_bytes;
      if (!ds.title && c.title) { title.textContent = c.title; panel.setAttribute("aria-label", c.title); }
      if (!ds.greeting && c.greeting) { greeting.firstChild.textContent = c.greeting; greeting.hidden = false; }
      if (!ds.color && c.color) style(c.color);
      if (!ds.position && c.position === "left") frame.className = "pw left";
    }).catch(function () { /* the defaults will do */ });
    panel.setAttribute("aria-label", title.textContent);
    if (state.chatId) transcript().then(function () { if (state.ended) ended(); else connect(); });
    if (ds.open === "true") open(true);
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
