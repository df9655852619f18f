/// The pool page's script, served as `/console.js`: follows the pool's stream and, on each
/// record, swaps in freshly rendered sections (escaped by the server); ticks lease countdowns;
/// sends the resend and release buttons' POSTs. No library, no build step.
enum ConsoleScript {
    static let source = #"""
    (function () {
      "use strict";
      var root = document.getElementById("pool");
      if (!root) return;
      var pool = root.dataset.pool, page = root.dataset.page || "0";
      var base = "/pools/" + encodeURIComponent(pool);
      var api = "/api/pools/" + encodeURIComponent(pool);
      var live = document.getElementById("live");
      var offset = 0, timer = null, loading = false, again = false, pause = 50;

      function clockOffset() {
        var sections = document.getElementById("sections");
        if (sections) offset = Number(sections.dataset.now) - Date.now();
      }
      function tick() {
        var now = Date.now() + offset;
        document.querySelectorAll("[data-expires-at]").forEach(function (el) {
          var left = Math.round((Number(el.dataset.expiresAt) - now) / 1000);
          el.textContent = left >= 0 ? left + " s" : "expired " + (-left) + " s ago";
        });
      }
      function refresh() {
        if (loading) { again = true; return; }
        loading = true;
        var started = Date.now();
        fetch(base + "/sections?page=" + page, { credentials: "same-origin" }).then(function (r) {
          return r.ok ? r.text() : Promise.reject(r.status);
        }).then(function (html) {
          var sections = document.getElementById("sections");
          var holder = document.createElement("div");
          holder.innerHTML = html;
          sections.replaceWith(holder.firstElementChild);
          clockOffset(); tick();
        }).catch(function (e) { live.textContent = "refresh failed (" + e + ")"; })
          .finally(function () {
            // A page whose refresh takes long (a pool of 10,000 messages) asks at most every other
            // such span, so that a busy pool costs the server a bounded share per open page.
            pause = Math.max(50, 2 * (Date.now() - started));
            loading = false;
            if (again) { again = false; schedule(); }
          });
      }
      function schedule() {
        // During a refresh, only note it: the refresh's end arms the timer with the new pause.
        if (loading) { again = true; return; }
        if (!timer) timer = setTimeout(function () { timer = null; refresh(); }, pause);
      }
      function post(path) {
        return fetch(api + path, { method: "POST", credentials: "same-origin" }).then(function (r) {
          if (!r.ok) return r.json().then(function (body) { live.textContent = body.error || String(r.status); });
          schedule();
        });
      }
      document.addEventListener("click", function (event) {
        var el = event.target;
        if (el.dataset && el.dataset.resend !== undefined) post("/dead/" + encodeURIComponent(el.dataset.resend) + "/resend");
        if (el.dataset && el.dataset.release !== undefined) post("/claims/" + encodeURIComponent(el.dataset.release) + "/release");
      });
      var source = new EventSource(api + "/stream?after=" + root.dataset.cursor);
      source.onopen = function () { live.textContent = "live"; };
      source.onerror = function () { live.textContent = "reconnecting…"; };
      source.onmessage = function (event) {
        live.textContent = "live · seq " + event.lastEventId;
        schedule();
      };
      clockOffset(); tick();
      setInterval(tick, 1000);
    })();
    """#
}
