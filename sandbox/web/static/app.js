// The page of phones for `helpline demo`: one phone per demo person, driven through the
// sandbox's control API (/_sandbox/...). New messages arrive through a long poll
// (/_demo/changes), so what the bot sends shows up at once without reloading.
"use strict";

(() => {
  const state = {
    config: null,
    labels: {},
    people: [],
    phones: new Map(), // user id -> phone record
    seq: -1,
    epoch: -1,
    selected: null,
    sound: true,
    audio: null,
    deadline: null, // {due: ms since epoch, kind, request}
    deadlineFetch: 0,
  };

  const $ = (sel, root = document) => root.querySelector(sel);

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function L(key, params = {}) {
    let text = state.labels[key] || key;
    for (const [name, value] of Object.entries(params)) text = text.replace(`{${name}}`, value);
    return text;
  }

  // ---------------------------------------------------------------- talking to the server

  async function api(path, body) {
    const init = body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    };
    const response = await fetch(path, init);
    const data = await response.json();
    if (data && data.ok === false) throw new Error(data.description || `HTTP ${response.status}`);
    return data && "result" in data ? data.result : data;
  }

  const send = (userId, payload) => api("/_sandbox/send", { user_id: userId, ...payload });

  // ---------------------------------------------------------------- sound and ringing

  function audio() {
    if (!state.audio) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return null;
      state.audio = new Ctx();
    }
    if (state.audio.state === "suspended") state.audio.resume().catch(() => {});
    return state.audio;
  }

  function beep() {
    if (!state.sound) return;
    try {
      const ctx = audio();
      if (!ctx) return;
      const t0 = ctx.currentTime + 0.01;
      // Two short rings, like a phone: 880 Hz and 660 Hz, twice.
      [0, 0.18, 0.5, 0.68].forEach((offset, i) => {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.type = "sine";
        osc.frequency.value = i % 2 === 0 ? 880 : 660;
        gain.gain.setValueAtTime(0.0001, t0 + offset);
        gain.gain.exponentialRampToValueAtTime(0.25, t0 + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t0 + offset + 0.16);
        osc.connect(gain).connect(ctx.destination);
        osc.start(t0 + offset);
        osc.stop(t0 + offset + 0.17);
      });
    } catch (err) {
      // No audio device (headless browsers): the visual cue is enough.
    }
  }

  function shake(phone) {
    phone.node.classList.remove("shake");
    void phone.node.offsetWidth; // restart the animation
    phone.node.classList.add("shake");
  }

  // ---------------------------------------------------------------- building the phones

  function initials(name) {
    return Array.from(name || "?")[0];
  }

  function roleLine(person) {
    const role = L(`role_${person.role}`);
    return person.branch ? `${role} · ${person.branch}` : role;
  }

  function buildPhone(person) {
    const messages = el("ol", { class: "messages" });
    const chat = el("div", { class: "chat", role: "log", "aria-live": "polite" }, messages);
    const input = el("input", {
      class: "text",
      name: "text",
      type: "text",
      autocomplete: "off",
      placeholder: L("placeholder"),
      "aria-label": L("placeholder"),
    });
    const tip = el("div", { class: "reply-tip", text: L("reply_hint") });
    const replyLabel = el("span", { class: "reply-text" });
    const replying = el(
      "div",
      { class: "replying", hidden: true },
      replyLabel,
      el("button", { type: "button", class: "reply-cancel", title: L("cancel"), text: "×" }),
    );
    const composer = el(
      "form",
      { class: "composer" },
      input,
      el("button", { type: "submit", class: "send", text: L("send") }),
    );
    const quick = el(
      "div",
      { class: "quick" },
      el("button", { type: "button", "data-kind": "photo" }, "📷 ", L("photo")),
      el("button", { type: "button", "data-kind": "voice" }, "🎤 ", L("voice")),
      el("button", { type: "button", "data-kind": "location" }, "📍 ", L("location")),
    );
    const keyboard = el("div", { class: "keyboard", hidden: true });
    const toast = el("div", { class: "toast", hidden: true, role: "status" });
    const node = el(
      "section",
      {
        class: "phone",
        "data-user": person.id,
        "data-key": person.key,
        "data-role": person.role,
        "aria-label": person.name,
      },
      el(
        "header",
        { class: "phone-head" },
        el("div", { class: `avatar role-${person.role}`, text: initials(person.name) }),
        el(
          "div",
          { class: "who" },
          el("div", { class: "name", text: person.name }),
          el("div", { class: "role", text: roleLine(person) }),
        ),
        el("span", { class: "bell", title: L("ringing"), "aria-hidden": "true", text: "🔔" }),
      ),
      el("div", { class: "screen" }, chat, toast),
      keyboard,
      tip,
      replying,
      composer,
      quick,
    );
    const phone = {
      person,
      node,
      chat,
      messages,
      input,
      keyboard,
      tip,
      replying,
      replyLabel,
      toast,
      replyTo: null,
      cache: "",
      count: 0,
      alerts: new Set(),
      loaded: false,
      toastTimer: 0,
    };
    composer.addEventListener("submit", (event) => {
      event.preventDefault();
      sendText(phone);
    });
    replying.querySelector("button").addEventListener("click", () => setReply(phone, null));
    quick.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-kind]");
      if (button) sendQuick(phone, button.dataset.kind, button);
    });
    node.addEventListener("pointerdown", () => audio(), { once: true });
    return phone;
  }

  function buildPicker() {
    const picker = $("#picker");
    picker.replaceChildren(
      ...state.people.map((person) =>
        el(
          "button",
          {
            type: "button",
            class: "pick",
            "data-key": person.key,
            "data-user": person.id,
            onclick: () => select(person.id, true),
          },
          el("span", { class: "pick-name", text: person.name }),
          el("span", { class: "pick-role", text: L(`role_${person.role}`) }),
        ),
      ),
    );
  }

  function select(userId, scroll) {
    state.selected = userId;
    for (const [id, phone] of state.phones) phone.node.classList.toggle("selected", id === userId);
    for (const pick of document.querySelectorAll(".pick")) {
      pick.classList.toggle("active", Number(pick.dataset.user) === userId);
      pick.setAttribute("aria-pressed", String(Number(pick.dataset.user) === userId));
    }
    const phone = state.phones.get(userId);
    if (scroll && phone && window.matchMedia("(min-width: 721px)").matches) {
      phone.node.scrollIntoView({ behavior: "smooth", block: "nearest" });
    }
  }

  // ---------------------------------------------------------------- acting

  async function sendText(phone) {
    const text = phone.input.value.trim();
    if (!text) return;
    const payload = { kind: "text", text };
    if (phone.replyTo) payload.reply_to_message_id = phone.replyTo.id;
    phone.input.value = "";
    setReply(phone, null);
    try {
      await send(phone.person.id, payload);
    } catch (err) {
      phone.input.value = text;
      showToast(phone, String(err.message || err));
    }
  }

  async function sendQuick(phone, kind, button) {
    button.disabled = true;
    try {
      if (kind === "photo") {
        const caption = phone.input.value.trim() || L("demo_caption");
        phone.input.value = "";
        await send(phone.person.id, { kind: "photo", caption, size: [1280, 960] });
      } else if (kind === "voice") {
        await send(phone.person.id, { kind: "voice", duration: 7 });
      } else if (kind === "location") {
        // The port's quay 3, roughly: 31.3592 N, 121.6078 E.
        await send(phone.person.id, { kind: "location", latitude: 31.3592, longitude: 121.6078 });
      }
    } catch (err) {
      showToast(phone, String(err.message || err));
    } finally {
      button.disabled = false;
    }
  }

  async function press(phone, message, button, node) {
    node.disabled = true;
    node.classList.add("pressed");
    audio();
    try {
      const body = { user_id: phone.person.id, message_id: message.message_id, timeout: 10 };
      if (button.callback_data !== undefined) body.data = button.callback_data;
      else body.button_text = button.text;
      const answer = await api("/_sandbox/press", body);
      if (answer && answer.text) showToast(phone, answer.text, answer.show_alert);
    } catch (err) {
      showToast(phone, String(err.message || err), true);
    } finally {
      node.disabled = false;
      node.classList.remove("pressed");
    }
  }

  function setReply(phone, message) {
    phone.replyTo = message ? { id: message.message_id } : null;
    phone.replying.hidden = !message;
    phone.tip.hidden = Boolean(message); // the reply bar takes the hint's place
    if (message) {
      const text = message.text || message.caption || `#${message.message_id}`;
      phone.replyLabel.textContent = `${L("replying_to")}: ${text.slice(0, 60)}`;
      phone.input.focus();
    }
  }

  function showToast(phone, text, alert = false) {
    phone.toast.textContent = text;
    phone.toast.hidden = false;
    phone.toast.classList.toggle("alert", Boolean(alert));
    clearTimeout(phone.toastTimer);
    phone.toastTimer = setTimeout(() => {
      phone.toast.hidden = true;
    }, alert ? 5000 : 2500);
  }

  // ---------------------------------------------------------------- rendering messages

  // Telegram entities count UTF-16 code units, as JavaScript strings do.
  const ENTITY_CLASS = {
    bold: "b",
    italic: "i",
    underline: "u",
    strikethrough: "s",
    code: "code",
    pre: "pre",
    spoiler: "spoiler",
    text_link: "link",
    url: "link",
    mention: "mention",
    bot_command: "command",
    blockquote: "quote",
    expandable_blockquote: "quote",
  };

  function formatted(text, entities) {
    const box = el("div", { class: "text" });
    if (!entities || entities.length === 0) {
      box.textContent = text;
      return box;
    }
    const cuts = new Set([0, text.length]);
    for (const e of entities) {
      cuts.add(Math.max(0, Math.min(text.length, e.offset)));
      cuts.add(Math.max(0, Math.min(text.length, e.offset + e.length)));
    }
    const points = [...cuts].sort((a, b) => a - b);
    for (let i = 0; i < points.length - 1; i++) {
      const [from, to] = [points[i], points[i + 1]];
      const piece = text.slice(from, to);
      const covering = entities.filter((e) => e.offset <= from && e.offset + e.length >= to);
      if (covering.length === 0) {
        box.append(piece);
        continue;
      }
      const classes = covering.map((e) => ENTITY_CLASS[e.type]).filter(Boolean);
      const span = el("span", { class: classes.map((c) => `e-${c}`).join(" "), text: piece });
      const link = covering.find((e) => e.type === "text_link");
      if (link) span.title = link.url;
      box.append(span);
    }
    return box;
  }

  function photoCard(raw) {
    const sizes = raw.photo || [];
    const big = sizes[sizes.length - 1] || {};
    return el(
      "div",
      { class: "media photo-card" },
      el("div", { class: "photo-art", "aria-hidden": "true" }, el("span", { class: "sun" })),
      el("div", { class: "media-line" }, `📷 ${L("photo")} ${big.width || "?"}×${big.height || "?"}`),
    );
  }

  function clock(seconds) {
    const s = Math.max(0, Math.round(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function voiceCard(raw) {
    const duration = (raw.voice && raw.voice.duration) || 0;
    const bars = Array.from({ length: 18 }, (_, i) =>
      el("i", { style: `height:${25 + ((i * 37) % 70)}%` }),
    );
    return el(
      "div",
      { class: "media voice-card" },
      el("span", { class: "play", "aria-hidden": "true", text: "▶" }),
      el("span", { class: "wave", "aria-hidden": "true" }, bars),
      el("span", { class: "duration", text: clock(duration) }),
      el("span", { class: "sr", text: `${L("voice_note")} ${clock(duration)}` }),
    );
  }

  function coordinate(value, positive, negative) {
    return `${Math.abs(value).toFixed(4)}° ${value >= 0 ? positive : negative}`;
  }

  function locationCard(raw) {
    const loc = raw.location || {};
    const lat = Number(loc.latitude || 0);
    const lon = Number(loc.longitude || 0);
    return el(
      "div",
      { class: "media map-card" },
      el(
        "div",
        { class: "map", "aria-hidden": "true" },
        el("span", { class: "road r1" }),
        el("span", { class: "road r2" }),
        el("span", { class: "water" }),
        el("span", { class: "pin", text: "📍" }),
      ),
      el(
        "div",
        { class: "media-line coords" },
        `${L("location_card")}: ${coordinate(lat, "N", "S")}, ${coordinate(lon, "E", "W")}`,
      ),
    );
  }

  function mediaOf(raw, kind) {
    if (kind === "photo") return photoCard(raw);
    if (kind === "voice") return voiceCard(raw);
    if (kind === "location") return locationCard(raw);
    if (kind === "document") {
      const name = (raw.document && raw.document.file_name) || L("document");
      return el("div", { class: "media doc-card" }, `📄 ${name}`);
    }
    if (kind === "sticker") {
      return el("div", { class: "media sticker", text: (raw.sticker && raw.sticker.emoji) || "🙂" });
    }
    return null;
  }

  // A bubble's time is told in the bot's zone (HELPLINE_TIMEZONE), as its texts are, not in
  // the browser's: "09:05".
  let hhmm = null;

  function time(unix) {
    if (!unix) return "";
    if (!hhmm) {
      const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
      try {
        hhmm = new Intl.DateTimeFormat("en-GB", { ...options, timeZone: state.config.timezone });
      } catch (err) {
        hhmm = new Intl.DateTimeFormat("en-GB", options); // a zone this browser does not know
      }
    }
    return hhmm.format(new Date(unix * 1000));
  }

  function inlineRows(markup) {
    return (markup && markup.inline_keyboard) || [];
  }

  function renderMessage(phone, item) {
    const raw = item.message || {};
    const kind = item.kind;
    const text = raw.text !== undefined ? raw.text : raw.caption || "";
    const entities = raw.text !== undefined ? raw.entities : raw.caption_entities;
    const bubble = el("div", { class: "bubble" });
    const replied = raw.reply_to_message;
    if (replied) {
      const quoted = replied.text || replied.caption || `#${replied.message_id}`;
      bubble.append(el("div", { class: "quote-ref", text: quoted.slice(0, 80) }));
    }
    const media = mediaOf(raw, kind);
    if (media) bubble.append(media);
    if (text) bubble.append(formatted(text, entities));
    const flags = [];
    if (item.edits) flags.push(L("edited"));
    if (item.deleted) flags.push(L("deleted"));
    flags.push(time(raw.edit_date || raw.date));
    bubble.append(
      el("div", {
        class: "meta",
        title: L("time_zone", { zone: state.config.timezone }),
        text: flags.filter(Boolean).join(" · "),
      }),
    );
    const li = el(
      "li",
      {
        class: `msg ${item.from_bot ? "bot" : "user"} kind-${kind}${item.deleted ? " deleted" : ""}`,
        "data-mid": raw.message_id,
      },
      bubble,
    );
    if (!item.deleted) {
      bubble.title = L("reply_hint");
      bubble.addEventListener("click", () => {
        setReply(phone, { message_id: raw.message_id, text, caption: "" });
      });
    }
    const rows = inlineRows(item.reply_markup);
    if (item.from_bot && !item.deleted && rows.length) {
      const box = el("div", { class: "buttons" });
      for (const row of rows) {
        const line = el("div", { class: "row" });
        for (const button of row) {
          const isAlert = state.config.alert_buttons.includes(button.text);
          const node = el("button", {
            type: "button",
            class: `inline-btn${isAlert ? " alert-btn" : ""}`,
            text: button.text,
          });
          node.addEventListener("click", (event) => {
            event.stopPropagation();
            press(phone, raw, button, node);
          });
          line.append(node);
        }
        box.append(line);
      }
      li.append(box);
    }
    return li;
  }

  function alertIds(messages) {
    const found = new Set();
    for (const item of messages) {
      if (!item.from_bot || item.deleted) continue;
      for (const row of inlineRows(item.reply_markup)) {
        if (row.some((b) => state.config.alert_buttons.includes(b.text))) {
          found.add(item.message.message_id);
        }
      }
    }
    return found;
  }

  function renderChat(phone, chat) {
    const key = JSON.stringify([chat.messages, chat.keyboard]);
    if (key === phone.cache) return;
    phone.cache = key;
    const items = chat.messages.filter((m) => !(m.deleted && m.from_bot));
    // Follow the conversation: a new message scrolls to the bottom; an edit does not move
    // a reader who scrolled up.
    const atBottom =
      phone.chat.scrollHeight - phone.chat.scrollTop - phone.chat.clientHeight < 40 ||
      !phone.loaded ||
      items.length > phone.count;
    phone.count = items.length;
    if (items.length === 0) {
      const hint = phone.person.role === "worker" || phone.person.role === "family"
        ? L("hint_worker")
        : L("empty_chat");
      phone.messages.replaceChildren(el("li", { class: "empty", text: hint }));
    } else {
      phone.messages.replaceChildren(...items.map((m) => renderMessage(phone, m)));
    }
    if (atBottom) phone.chat.scrollTop = phone.chat.scrollHeight;
    renderKeyboard(phone, chat.keyboard);

    const alerts = alertIds(chat.messages);
    const fresh = [...alerts].some((id) => !phone.alerts.has(id));
    phone.alerts = alerts;
    setRinging(phone, alerts.size > 0);
    if (fresh && phone.loaded) {
      shake(phone);
      beep();
    }
    phone.loaded = true;
  }

  function renderKeyboard(phone, keyboard) {
    if (!keyboard || keyboard.length === 0) {
      phone.keyboard.hidden = true;
      phone.keyboard.replaceChildren();
      return;
    }
    phone.keyboard.hidden = false;
    phone.keyboard.replaceChildren(
      ...keyboard.map((label) =>
        el("button", {
          type: "button",
          class: "kb-btn",
          text: label,
          onclick: () => send(phone.person.id, { kind: "text", text: label }),
        }),
      ),
    );
  }

  function setRinging(phone, ringing) {
    phone.node.classList.toggle("ringing", ringing);
    if (!ringing) phone.node.classList.remove("shake");
    const pick = document.querySelector(`.pick[data-user="${phone.person.id}"]`);
    if (pick) pick.classList.toggle("ringing", ringing);
  }

  async function refreshAll() {
    await Promise.all(
      [...state.phones.values()].map(async (phone) => {
        const chat = await api(`/_sandbox/chats/${phone.person.id}`);
        renderChat(phone, chat);
      }),
    );
  }

  function clearView() {
    for (const phone of state.phones.values()) {
      phone.cache = "";
      phone.count = 0;
      phone.alerts = new Set();
      phone.loaded = false;
      setReply(phone, null);
      phone.node.classList.remove("shake");
    }
    state.deadline = null;
  }

  // ---------------------------------------------------------------- the escalation clock

  async function fetchDeadline() {
    state.deadlineFetch = Date.now();
    try {
      const data = await api("/_demo/next-deadline");
      const next = data.next;
      state.deadline = next
        ? { due: Date.now() + next.seconds * 1000, kind: next.kind, request: next.request }
        : null;
    } catch (err) {
      state.deadline = null;
    }
    drawClock();
  }

  function drawClock() {
    const box = $("#clock");
    const next = state.deadline;
    if (!next) {
      box.dataset.state = "none";
      $("#clock-label").textContent = L("next_none");
      box.title = L("next_none");
      $("#clock-time").textContent = "";
      return;
    }
    const left = (next.due - Date.now()) / 1000;
    box.dataset.state = left <= 5 ? "soon" : "armed";
    box.dataset.kind = next.kind;
    const what = next.kind === "escalate" ? L("next_escalation") : L("next_reminder");
    const which = next.request ? ` · ${L("request_no", { number: next.request })}` : "";
    $("#clock-label").textContent = `${what}${which}`;
    box.title = `${what}${which}`;
    $("#clock-time").textContent = left > 0 ? clock(left) : L("due_now");
  }

  function tick() {
    drawClock();
    const overdue = state.deadline && state.deadline.due < Date.now() - 1000;
    if (Date.now() - state.deadlineFetch > (overdue ? 1000 : 5000)) fetchDeadline();
  }

  // ---------------------------------------------------------------- main loop

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function follow() {
    for (;;) {
      try {
        const url = `/_demo/changes?since=${state.seq}&epoch=${state.epoch}&wait=25`;
        const change = await api(url);
        if (change.epoch !== state.epoch) {
          if (state.epoch !== -1) clearView();
          state.epoch = change.epoch;
          document.body.dataset.epoch = String(change.epoch);
        }
        state.seq = change.seq;
        await refreshAll();
        fetchDeadline();
        $("#banner").hidden = true;
      } catch (err) {
        const banner = $("#banner");
        banner.textContent = L("offline");
        banner.hidden = false;
        await sleep(1000);
      }
    }
  }

  function drawSound() {
    $("#sound").replaceChildren(
      state.sound ? "🔔 " : "🔕 ",
      el("span", { class: "word", text: state.sound ? L("sound_on") : L("sound_off") }),
    );
    $("#sound").title = state.sound ? L("sound_on") : L("sound_off");
    $("#sound").setAttribute("aria-pressed", String(state.sound));
  }

  async function start() {
    const params = new URLSearchParams(location.search);
    const query = params.get("lang") ? `?lang=${encodeURIComponent(params.get("lang"))}` : "";
    state.config = await api(`/_demo/config${query}`);
    state.labels = state.config.labels;
    state.people = state.config.people;
    document.documentElement.lang = state.config.language === "zh" ? "zh-CN" : "en";
    document.title = L("title");
    $("#title").textContent = L("title");
    $("#subtitle").textContent = L("subtitle");
    $("#reset").replaceChildren("↺ ", el("span", { class: "word", text: L("reset") }));
    $("#reset").title = L("reset");
    drawSound();
    $("#sound").addEventListener("click", () => {
      state.sound = !state.sound;
      drawSound();
      if (state.sound) audio();
    });
    $("#reset").addEventListener("click", async () => {
      const button = $("#reset");
      button.disabled = true;
      const banner = $("#banner");
      banner.textContent = L("resetting");
      banner.hidden = false;
      try {
        await api("/_demo/reset", {});
      } finally {
        button.disabled = false;
        banner.hidden = true;
      }
    });
    buildPicker();
    const container = $("#phones");
    for (const person of state.people) {
      const phone = buildPhone(person);
      state.phones.set(person.id, phone);
      container.append(phone.node);
    }
    const wanted = params.get("phone");
    const first = state.people.find((p) => p.key === wanted) || state.people[0];
    if (first) select(first.id, false);
    drawClock();
    setInterval(tick, 250);
    document.body.dataset.ready = "true";
    follow();
  }

  start().catch((err) => {
    const banner = $("#banner");
    banner.textContent = `${L("offline")} (${err.message || err})`;
    banner.hidden = false;
    setTimeout(() => location.reload(), 2000);
  });
})();
