// The web chat: one websocket, messages shown as a list that screen readers announce.
(function () {
  "use strict";
  var list = document.getElementById("conversation");
  var form = document.getElementById("composer");
  var box = document.getElementById("message");
  var status = document.getElementById("status");
  var socket = null;
  var retry = 500;

  function add(from, text, buttons) {
    var item = document.createElement("li");
    item.className = from;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = from === "you" ? "You said: " : "SHAL said: ";
    item.appendChild(who);
    item.appendChild(document.createTextNode(text));
    if (buttons && buttons.length) {
      var row = document.createElement("div");
      row.className = "buttons";
      buttons.forEach(function (line) {
        line.forEach(function (b) {
          var el;
          if (b.url) {
            el = document.createElement("a");
            el.href = b.url;
            el.rel = "noopener";
          } else {
            el = document.createElement("button");
            el.type = "button";
            el.addEventListener("click", function () {
              send({ type: "button", data: b.data }, b.label);
            });
          }
          el.textContent = b.label;
          row.appendChild(el);
        });
      });
      item.appendChild(row);
    }
    list.appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function send(payload, shown) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      status.textContent = "Not connected yet, please try again in a moment.";
      return false;
    }
    socket.send(JSON.stringify(payload));
    if (shown) add("you", shown);
    return true;
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/chat/ws");
    socket.onopen = function () { status.textContent = "Connected."; retry = 500; };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "history") {
        data.messages.forEach(function (m) { add(m.from, m.text); });
      } else if (data.type === "reply") {
        add("bot", data.text, data.buttons);
      } else if (data.type === "error") {
        add("bot", data.text);
      }
    };
    socket.onclose = function (event) {
      if (event.reason === "chat ended") {
        // Ended from this or another tab: show nothing of it any more.
        list.textContent = "";
        status.textContent = "This chat was ended. Reload the page to start a new one.";
        return;
      }
      status.textContent = "Connection lost, reconnecting…";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = box.value;
    if (!text.trim()) { box.focus(); return; }
    if (send({ type: "message", text: text }, text)) box.value = "";
    box.focus();
  });
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  connect();
})();
