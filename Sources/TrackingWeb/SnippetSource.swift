/// `GET /v1/snippet.js`: the script an account pastes into its pages, as one literal so the
/// binary needs no resource files on disk. Dependency-free ES2017; see docs/tracking.md.
///
///     <script src="https://dni.example.com/v1/snippet.js" async
///             data-key="pk_…" data-pool="website" data-number="+18005550100"></script>
///
/// It asks for a number (campaign parameters, referrer, landing page, a first-party visitor
/// id), swaps the default number in text and `tel:` links keeping the page's own layout,
/// heartbeats while the page is visible, and leaves the default number if the service does
/// not answer. `window.SwitchboardDNI` shows its state (for support, and for the tests).
enum SnippetSource {
    static let javascript = #"""
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var cfg = {
    key: script.getAttribute("data-key") || "",
    pool: script.getAttribute("data-pool") || "",
    number: script.getAttribute("data-number") || "",
    timeout: parseInt(script.getAttribute("data-timeout") || "4000", 10),
    // The API is where the snippet came from, unless data-api says otherwise (a self-hosted copy).
    base: (script.getAttribute("data-api") || new URL(script.src, location.href).origin).replace(/\/+$/, "")
  };
  var state = window.SwitchboardDNI = { state: "starting", number: cfg.number, sessionId: null, error: null };
  var STORE = "switchboard.dni." + cfg.pool;
  var PARAMS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                "gclid", "gbraid", "wbraid", "msclkid"];

  function digits(s) { return String(s).replace(/\D/g, ""); }
  function storage(kind) { try { var s = window[kind]; s.setItem("sb.t", "1"); s.removeItem("sb.t"); return s; } catch (e) { return null; } }
  var local = storage("localStorage"), session = storage("sessionStorage");

  function randomId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }
  // A first-party visitor id: localStorage, else a cookie on this site, for 2 years.
  function visitorId() {
    var id = local && local.getItem("switchboard.vid");
    if (!id) { var m = document.cookie.match(/(?:^|; )sb_vid=([^;]+)/); id = m && decodeURIComponent(m[1]); }
    if (!id) id = randomId();
    if (local) local.setItem("switchboard.vid", id);
    else document.cookie = "sb_vid=" + encodeURIComponent(id) + "; max-age=63072000; path=/; SameSite=Lax";
    return id;
  }

  function post(path, body) {
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = ctl && setTimeout(function () { ctl.abort(); }, cfg.timeout);
    // text/plain keeps this a CORS "simple request": no preflight round trip.
    return fetch(cfg.base + path, { method: "POST", mode: "cors", credentials: "omit", keepalive: true,
                                    headers: { "Content-Type": "text/plain;charset=UTF-8" },
                                    body: JSON.stringify(body), signal: ctl ? ctl.signal : undefined })
      .then(function (r) {
        if (timer) clearTimeout(timer);
        return r.json().catch(function () { return {}; }).then(function (j) { j.status = r.status; return j; });
      });
  }

  // --- Swapping: every phone-like run of text whose digits are the shown number's, and tel: links.
  var shown = { e164: cfg.number };
  function forms(e164, ccLength) {
    var all = digits(e164), nsn = all.slice(ccLength);
    return { all: all, nsn: nsn, trunk: "0" + nsn };
  }
  function replacement(text, from, to, fallback) {
    var d = digits(text), src = null, dst = null;
    if (d === from.all) { src = from.all; dst = to.all; }
    else if (d === from.nsn) { src = from.nsn; dst = to.nsn; }
    else if (d === from.trunk && !text.trim().startsWith("+")) { src = from.trunk; dst = to.trunk; }
    if (src === null) return null;
    if (src.length !== dst.length) return fallback;
    var i = 0;  // same digit count: keep the page's own layout, digit by digit
    return text.replace(/\d/g, function () { return dst.charAt(i++); });
  }
  function swap(lease) {
    var cc = (lease.international.match(/^\+(\d+)/) || [null, "1"])[1].length;
    var from = forms(shown.e164, cc), to = forms(lease.number, cc);
    if (from.all === to.all) return;
    var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, null);
    var nodes = [], n;
    while ((n = walker.nextNode())) {
      var p = n.parentNode && n.parentNode.nodeName;
      if (p !== "SCRIPT" && p !== "STYLE" && p !== "TEXTAREA" && /\d/.test(n.nodeValue)) nodes.push(n);
    }
    nodes.forEach(function (node) {
      var changed = node.nodeValue.replace(/\+?\(?\d[\d\s().\-\u00a0]{4,}\d/g, function (m) {
        var r = replacement(m, from, to, lease.national);
        return r === null ? m : r;
      });
      if (changed !== node.nodeValue) node.nodeValue = changed;
    });
    Array.prototype.forEach.call(document.querySelectorAll('a[href^="tel:"]'), function (a) {
      var d = digits(a.getAttribute("href"));
      if (d === from.all || d === from.nsn || d === from.trunk) a.setAttribute("href", "tel:" + lease.number);
    });
    shown.e164 = lease.number;
  }

  // --- Sessions
  var timer = null;
  function remember(lease) { if (session) session.setItem(STORE, JSON.stringify(lease)); }
  function forget() { if (session) session.removeItem(STORE); }
  function use(lease, status) {
    state.state = status; state.number = lease.number; state.sessionId = lease.session_id;
    remember(lease);
    swap(lease);
    schedule(lease.heartbeat_seconds);
  }
  function start() {
    var q = new URLSearchParams(location.search), body = { key: cfg.key, pool: cfg.pool, visitor_id: visitorId(),
      landing_url: location.href, referrer: document.referrer || null };
    PARAMS.forEach(function (k) { var v = q.get(k); if (v) body[k] = v; });
    return post("/v1/sessions", body).then(function (r) {
      if (r.status === 201) use(r, "leased");
      else { state.state = "default"; state.error = r.error || ("HTTP " + r.status); }
    });
  }
  function beat() {
    if (!state.sessionId || document.visibilityState !== "visible") return Promise.resolve();
    return post("/v1/sessions/" + state.sessionId + "/heartbeat", { key: cfg.key }).then(function (r) {
      if (r.status === 200) { state.lastHeartbeat = r.expires_at; return; }
      if (r.status === 404 || r.status === 410) { forget(); state.sessionId = null; return start(); }
    }).catch(function (e) { state.error = String(e); });
  }
  function schedule(seconds) {
    if (timer) clearInterval(timer);
    timer = setInterval(beat, Math.max(1, seconds || 300) * 1000);
  }
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") beat(); });

  function boot() {
    var saved = null;
    try { saved = session && JSON.parse(session.getItem(STORE) || "null"); } catch (e) { saved = null; }
    var run = saved && saved.session_id ? (use(saved, "resumed"), beat()) : start();
    Promise.resolve(run).catch(function (e) {
      // Unreachable or refused: the page keeps its default number.
      state.state = "default"; state.error = String(e);
    });
  }
  if (!cfg.key || !cfg.pool || !cfg.number || !window.fetch) { state.state = "default"; state.error = "not configured"; return; }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot); else boot();
})();
"""#
}
