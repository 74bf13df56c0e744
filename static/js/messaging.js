// intch messaging: live updates over a WebSocket, with htmx polling when the socket cannot
// connect. Every messaging page works without this file (plain forms and links).
(function () {
  "use strict";

  if (window.intchMessaging) return; // included by base.html and by a messaging page
  window.intchMessaging = true;

  var script = document.currentScript;
  var config = {
    socket: (script && script.getAttribute("data-messaging-socket")) || "/ws/messages/",
    counts: (script && script.getAttribute("data-messaging-counts")) || "/messages/counts/",
    inbox: (script && script.getAttribute("data-messaging-inbox")) || "/messages/",
  };
  var HEARTBEAT_MS = 30000;
  var COUNTS_POLL_MS = 15000;
  var CLOSE_UNAUTHORIZED = 4401;
  var CLOSE_NOT_FOUND = 4404;

  var thread = null;
  var socket = null;
  var socketOpen = false;
  var failures = 0;
  var reconnectTimer = null;
  var heartbeatTimer = null;
  var countsTimer = null;
  var polling = false;
  var sending = false;

  function visible() {
    return document.visibilityState === "visible";
  }

  // --- Badges --------------------------------------------------------------------------

  function setBadge(link, count, hiddenText, attrs) {
    if (!link) return;
    var badge = link.querySelector("[data-live-badge]") || link.querySelector(".badge");
    var hint = badge && badge.nextElementSibling;
    if (!count) {
      if (badge) badge.remove();
      if (hint && hint.classList.contains("visually-hidden")) hint.remove();
      return;
    }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge";
      if (attrs && attrs.id) badge.id = attrs.id;
      link.appendChild(document.createTextNode(" "));
      link.appendChild(badge);
      hint = document.createElement("span");
      hint.className = "visually-hidden";
      hint.textContent = hiddenText;
      link.appendChild(hint);
    }
    badge.setAttribute("data-live-badge", "");
    badge.textContent = String(count);
  }

  function navLink() {
    return document.querySelector('a[data-nav="messages"]');
  }

  function tabLink(href) {
    return document.querySelector('.tabs a[href="' + href + '"]');
  }

  var lastTotal = null;

  function updateCounts(data) {
    var changed = lastTotal !== null && data.total !== lastTotal;
    lastTotal = data.total;
    // On the inbox, new activity reorders the list: fetch it again (search kept).
    var inbox = document.getElementById("conversation-list");
    if (changed && inbox && window.htmx) {
      window.htmx.ajax("GET", window.location.pathname + window.location.search, {
        target: "#conversation-list",
        swap: "outerHTML",
      });
    }
    var nav = navLink();
    setBadge(nav, data.total, " unread", { id: "unread-badge" });
    // While requests wait for an answer, Messages opens on them (as the server renders it).
    if (nav) nav.setAttribute("href", data.requests ? config.inbox + "requests/" : config.inbox);
    setBadge(tabLink(config.inbox), data.messages, " unread messages");
    setBadge(tabLink(config.inbox + "requests/"), data.requests, " waiting");
  }

  function pollCounts() {
    fetch(config.counts, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data) updateCounts(data);
      })
      .catch(function () {});
  }

  // --- The thread ----------------------------------------------------------------------

  function list() {
    return document.getElementById("message-list");
  }

  function messages() {
    var found = list();
    return found ? found.querySelectorAll("li.message") : [];
  }

  function lastMessage() {
    var all = messages();
    return all.length ? all[all.length - 1] : null;
  }

  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }

  function scrollToBottom() {
    window.scrollTo(0, document.body.scrollHeight);
  }

  // One separator per day, one element per message id, whatever order things arrived in.
  function tidy() {
    var container = list();
    if (!container) return;
    var seen = {};
    var lastDay = null;
    Array.prototype.slice.call(container.children).forEach(function (item) {
      if (item.classList.contains("message")) {
        var id = item.getAttribute("data-message-id");
        if (seen[id]) {
          item.remove();
          return;
        }
        seen[id] = true;
        var day = item.getAttribute("data-day");
        if (lastDay !== null && day !== lastDay) {
          var previous = item.previousElementSibling;
          if (!previous || !previous.classList.contains("day-separator")) {
            var separator = document.createElement("li");
            separator.className = "day-separator";
            separator.setAttribute("data-day", day);
            var label = document.createElement("span");
            label.textContent = day === localDay() ? "Today" : day;
            separator.appendChild(label);
            container.insertBefore(separator, item);
          }
        }
        lastDay = day;
      } else if (item.classList.contains("day-separator")) {
        if (item.getAttribute("data-day") === lastDay) item.remove();
      }
    });
  }

  function localDay() {
    var last = lastMessage();
    return last ? last.getAttribute("data-day") : null;
  }

  function placeSeen(messageId) {
    var old = document.getElementById("seen-marker");
    if (!messageId) return;
    var item = document.getElementById("message-" + messageId);
    if (!item || item.getAttribute("data-mine") !== "1") return;
    if (old && item.contains(old)) return;
    if (old) old.remove();
    var marker = document.createElement("span");
    marker.className = "message__seen";
    marker.id = "seen-marker";
    marker.textContent = "Seen";
    item.querySelector(".message__meta").appendChild(marker);
  }

  function appendMessage(html, messageId) {
    var container = list();
    if (!container || document.getElementById("message-" + messageId)) return;
    var stick = nearBottom();
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    container.appendChild(template.content);
    tidy();
    if (stick) scrollToBottom();
  }

  function lastIncomingId() {
    var all = messages();
    for (var i = all.length - 1; i >= 0; i--) {
      if (all[i].getAttribute("data-mine") !== "1") return all[i].getAttribute("data-message-id");
    }
    return null;
  }

  function markRead() {
    if (!thread || !visible() || thread.getAttribute("data-status") !== "accepted") return;
    var id = lastIncomingId();
    if (!id || !socketOpen) return; // polling marks read by itself
    socket.send(JSON.stringify({ type: "read", message_id: Number(id) }));
  }

  function closeThread() {
    var composer = document.getElementById("composer");
    if (composer) composer.remove();
    var notice = document.getElementById("thread-closed");
    if (notice) notice.hidden = false;
    stopPolling();
  }

  // --- Socket --------------------------------------------------------------------------

  function socketUrl() {
    var path = (thread && thread.getAttribute("data-socket")) || config.socket;
    return (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + path;
  }

  function onEvent(data) {
    var here = thread && String(data.conversation_id) === thread.getAttribute("data-conversation-id");
    if (data.type === "counts") {
      updateCounts(data);
    } else if (data.type === "message" && here) {
      // Your own message from this page arrives with the composer's answer.
      if (data.mine && sending) return;
      appendMessage(data.html, data.message_id);
      if (!data.mine) markRead();
    } else if (data.type === "seen" && here) {
      placeSeen(data.message_id);
    } else if (data.type === "conversation" && here) {
      if (data.state !== thread.getAttribute("data-status")) window.location.reload();
    } else if (data.type === "closed" && here) {
      closeThread();
    }
  }

  function heartbeat() {
    if (socketOpen && visible()) socket.send(JSON.stringify({ type: "ping" }));
  }

  function connect() {
    if (!("WebSocket" in window)) {
      startPolling();
      return;
    }
    var opened = false;
    try {
      socket = new WebSocket(socketUrl());
    } catch (error) {
      startPolling();
      return;
    }
    socket.addEventListener("open", function () {
      opened = true;
      socketOpen = true;
      failures = 0;
      stopPolling();
      clearInterval(heartbeatTimer);
      heartbeatTimer = setInterval(heartbeat, HEARTBEAT_MS);
      markRead();
    });
    socket.addEventListener("message", function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      onEvent(data);
    });
    socket.addEventListener("close", function (event) {
      socketOpen = false;
      clearInterval(heartbeatTimer);
      if (event.code === CLOSE_NOT_FOUND || event.code === CLOSE_UNAUTHORIZED) return;
      failures += 1;
      // Poll while the socket is away; keep trying it, less and less often.
      if (!opened || failures > 1) startPolling();
      var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(failures, 5)));
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(connect, delay);
    });
  }

  // --- Polling fallback (htmx on the thread, JSON counts elsewhere) --------------------

  function startPolling() {
    if (polling) return;
    polling = true;
    var poller = document.getElementById("poller");
    if (poller && window.htmx && !poller.hasAttribute("hx-get")) {
      poller.setAttribute("hx-get", poller.getAttribute("data-poll-url"));
      poller.setAttribute("hx-trigger", "every 3s");
      poller.setAttribute("hx-swap", "none");
      window.htmx.process(poller);
    }
    pollCounts();
    clearInterval(countsTimer);
    countsTimer = setInterval(pollCounts, COUNTS_POLL_MS);
  }

  function stopPolling() {
    if (!polling) return;
    polling = false;
    clearInterval(countsTimer);
    var poller = document.getElementById("poller");
    if (poller && poller.hasAttribute("hx-get")) {
      // htmx stops an "every" trigger once its element leaves the page.
      var quiet = document.createElement("div");
      quiet.id = "poller";
      quiet.hidden = true;
      quiet.setAttribute("data-poll-url", poller.getAttribute("data-poll-url"));
      quiet.setAttribute("data-seen-id", poller.getAttribute("data-seen-id") || "");
      poller.replaceWith(quiet);
    }
  }

  // --- htmx glue -----------------------------------------------------------------------

  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "poller") {
      event.detail.parameters.visible = visible() ? "1" : "0";
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "composer") sending = true;
  });

  document.addEventListener("htmx:afterSwap", function () {
    if (thread) tidy();
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.id === "composer") sending = false;
    // Errors come back aimed at #composer-errors (a 200, see intch/htmx.py): the text stays.
    var sent = event.detail.target && event.detail.target.id === "message-list";
    if (elt && elt.id === "composer" && event.detail.successful && sent) {
      var input = elt.querySelector("[data-composer-input]");
      if (input) {
        input.value = "";
        input.focus();
      }
      scrollToBottom();
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!thread) return;
    tidy();
    if (polling) {
      var poller = document.getElementById("poller");
      if (poller) placeSeen(poller.getAttribute("data-seen-id"));
    }
  });

  // Enter sends; Shift+Enter (or Enter while composing text with an IME) makes a new line.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target || !target.matches || !target.matches("[data-composer-input]")) return;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    if (!target.value.trim()) return;
    var form = target.form;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  });

  document.addEventListener("visibilitychange", function () {
    if (!visible()) return;
    heartbeat();
    markRead();
  });

  function start() {
    thread = document.getElementById("thread");
    if (thread && !window.location.hash && window.location.search.indexOf("before=") === -1) {
      scrollToBottom();
    }
    connect();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
