// The console: the PRD's Calendly details form, analytics and a customer's web chat, over the public API.
// Plain modern JS, no build step. Server text is only ever put into the page as text (never as HTML).
// Tokens live in this tab's sessionStorage and in memory, nowhere else.
"use strict";

const SESSION_KEY = "calendlyConsole.session";
const COPY = {
  connectPrompt: "Connect your Calendly account to choose an event type.",
  connecting: "Connecting…",
  couldNotRefresh: "Couldn't refresh",
  noEligible: "No eligible event types found in this Calendly account",
  metricsFailed: "Couldn't load booking metrics",
  checking: "Checking available times…",
  signedOut: "Sign in first: start a demo session or paste a platform token.",
  expired: "Your session has expired or was refused. Start a new demo session or paste a fresh token.",
  network: "The service could not be reached. Check that serve is running, then retry.",
};
const CONFIRMATION_LIMIT = 1000;

const $ = (id) => document.getElementById(id);
const el = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
};

// ---------- session ----------

const session = {
  tokens: {},
  load() {
    try { this.tokens = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "{}").tokens || {}; } catch { this.tokens = {}; }
  },
  save(tokens) {
    this.tokens = tokens;
    sessionStorage.setItem(SESSION_KEY, JSON.stringify({ tokens }));
  },
  clear() { this.tokens = {}; sessionStorage.removeItem(SESSION_KEY); },
  has(role) { return typeof this.tokens[role] === "string" && this.tokens[role].length > 0; },
};

function tokenExpiry(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload));
    return { account: claims.account, exp: new Date(claims.exp * 1000) };
  } catch { return null; }
}

function agentId() { return $("agent-id").value.trim(); }
function validId(value) { return /^[A-Za-z0-9._-]{1,128}$/.test(value); }

class ApiError extends Error {
  constructor(status, body) { super(body && body.message ? body.message : `HTTP ${status}`); this.status = status; this.body = body || {}; }
}

// Why a saved action is not offered, in the admin's words (Core's NotOfferedReason values).
const NOT_OFFERED = {
  flag_off: "Calendly booking is not enabled for this account",
  not_entitled: "the account's plan does not include AI Agent integrations",
  not_connected: "Calendly is not connected",
  not_configured: "the action is not configured",
  action_disabled: "the action is turned off",
  plan_insufficient: "the connected Calendly plan does not allow booking through the API",
  event_type_ineligible: "this event type cannot be booked in chat (it must be single-host, active and unpaid)",
};
function notOfferedText(reason) { return NOT_OFFERED[reason] || "booking is not available"; }

/** One API call as `role`. Resolves with the parsed body for 2xx; throws ApiError otherwise (status 0: unreachable). */
async function api(role, method, path, body) {
  if (!session.has(role)) throw new ApiError(401, { message: COPY.signedOut });
  const headers = { Authorization: "Bearer " + session.tokens[role] };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
  } catch {
    throw new ApiError(0, { message: COPY.network });
  }
  let parsed = null;
  try { parsed = await response.json(); } catch { parsed = null; }
  if (!response.ok) {
    if (response.status === 401) throw new ApiError(401, { message: COPY.expired });
    throw new ApiError(response.status, parsed);
  }
  return parsed;
}

function agentPath(suffix = "") { return `/v1/agents/${encodeURIComponent(agentId())}/calendly${suffix}`; }

function showSession() {
  const roles = ["admin", "supervisor", "runtime"].filter((role) => session.has(role));
  const status = $("session-status");
  if (roles.length === 0) {
    status.textContent = "Not signed in.";
    $("sign-out").hidden = true;
  } else {
    const info = tokenExpiry(session.tokens[roles[0]]);
    const until = info ? ` until ${info.exp.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}` : "";
    status.textContent = `Signed in${info && info.account ? " to account " + info.account : ""} as ${roles.join(", ")}${until}.`;
    $("sign-out").hidden = false;
  }
  // PRD permission model: what a role may not use is not rendered.
  document.querySelector(".drawer").hidden = !session.has("admin") && roles.length > 0;
  document.querySelector(".analytics").hidden = !(session.has("admin") || session.has("supervisor")) && roles.length > 0;
  document.querySelector(".chat").hidden = !session.has("runtime") && roles.length > 0;
  $("viewer").querySelector('option[value="supervisor"]').disabled = !session.has("supervisor");
  $("viewer").querySelector('option[value="admin"]').disabled = !session.has("admin");
  if (roles.length > 0 && !session.has($("viewer").value)) $("viewer").value = session.has("admin") ? "admin" : "supervisor";
}

async function startDemoSession() {
  const button = $("demo-session");
  button.disabled = true;
  $("session-status").textContent = "Starting a demo session…";
  try {
    const response = await fetch("/console/demo-session", { method: "POST", cache: "no-store" });
    if (response.status === 404) {
      $("session-status").textContent = "Demo sessions exist only in demo mode. Paste platform tokens instead.";
      $("token-details").open = true;
      $("token-admin").focus();
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body = await response.json();
    session.save(body.tokens || {});
    signedIn();
  } catch {
    $("session-status").textContent = COPY.network;
  } finally {
    button.disabled = false;
  }
}

function pasteTokens(event) {
  event.preventDefault();
  const clean = (value) => value.trim().replace(/^Bearer\s+/i, "");
  const tokens = {};
  for (const role of ["admin", "supervisor", "runtime"]) {
    const value = clean($("token-" + role).value);
    if (value) tokens[role] = value;
    $("token-" + role).value = "";   // not kept in the form once taken
  }
  if (Object.keys(tokens).length === 0) { $("session-status").textContent = "Paste at least one token."; return; }
  session.save(tokens);
  $("token-details").open = false;
  signedIn();
}

function signedIn() {
  showSession();
  refreshAll();
}

function signOut() {
  session.clear();
  stopPolling();
  showSession();
  renderConnection({ status: "not_connected" });
  $("session-status").focus?.();
}

function refreshAll() {
  if (!validId(agentId())) { $("session-status").textContent = "The AI Agent id may contain letters, digits, '.', '_' and '-'."; return; }
  if (session.has("admin")) loadAgent();
  if (session.has("admin") || session.has("supervisor")) loadAnalytics();
}

// ---------- connection (CalendlyConnectionField) ----------

const form = { connected: false, selected: null, mappings: {}, lastItems: [] };

function renderConnection(view) {
  const status = $("connection-status");
  const banner = $("connection-banner");
  status.classList.remove("connected");
  banner.hidden = true;
  form.connected = view.status === "connected";
  $("connect").hidden = form.connected;
  $("disconnect").hidden = !form.connected;
  $("connect").disabled = view.status === "connecting";
  $("event-type-field").disabled = !form.connected;
  $("save").disabled = !form.connected;
  switch (view.status) {
    case "connected":
      status.textContent = view.accountEmail ? `Connected as ${view.accountEmail}` : (view.message || "Connected");
      status.classList.add("connected");
      if (view.lastError) {   // a later connect attempt failed; the earlier account still works
        $("connection-error").textContent = (view.message || "").split(" · ")[1] || "Couldn't connect to Calendly, try again";
        banner.hidden = false;
      }
      break;
    case "connecting":
      status.textContent = COPY.connecting;
      break;
    case "error":
      status.textContent = COPY.connectPrompt;
      $("connection-error").textContent = view.message || "Couldn't connect to Calendly, try again";
      banner.hidden = false;
      break;
    case "disconnected":
      status.textContent = `${view.message || "Disconnected"}. ${COPY.connectPrompt}`;
      break;
    default:
      status.textContent = COPY.connectPrompt;
  }
  if (!form.connected) {
    renderEventTypesEmpty(COPY.connectPrompt);
    $("event-types-note").textContent = "";
  }
}

async function loadAgent() {
  try {
    const view = await api("admin", "GET", agentPath());
    renderConnection(view.connection);
    if (view.action) fillForm(view.action);
    if (view.connection.status === "connected") await loadEventTypes(false);
  } catch (error) {
    renderConnection({ status: "error", message: error.message });
  }
}

let connectPoll = null;
async function connect() {
  clearTimeout(connectPoll);
  renderConnection({ status: "connecting" });
  // Open the window synchronously in the click, so no popup blocker objects; point it at Calendly once we know where.
  const popup = window.open("about:blank", "calendly-connect", "popup,width=520,height=680");
  let authorizeUrl;
  try {
    authorizeUrl = (await api("admin", "POST", agentPath("/connect"))).authorizeUrl;
  } catch (error) {
    popup?.close();
    renderConnection({ status: "error", message: error.status === 0 || error.status === 401 ? error.message : "Couldn't connect to Calendly, try again" });
    return;
  }
  if (popup) popup.location.href = authorizeUrl;
  else window.location.assign(authorizeUrl);   // no popups: the callback answers in this tab
  const deadline = Date.now() + 5 * 60 * 1000;
  const check = async () => {
    let view;
    try { view = (await api("admin", "GET", agentPath())).connection; } catch { view = null; }
    if (view && (view.status === "connected" || view.status === "error")) {
      popup?.close();
      renderConnection(view);
      if (view.status === "connected") { await loadEventTypes(false); $("disconnect").focus(); }
      return;
    }
    if ((popup && popup.closed) || Date.now() > deadline) {
      renderConnection({ status: "error", message: "Calendly sign-in was closed before it finished. Connect again." });
      return;
    }
    connectPoll = setTimeout(check, 600);
  };
  connectPoll = setTimeout(check, 600);
}

function askDisconnect() {
  const dialog = $("disconnect-dialog");
  dialog.returnValue = "";
  dialog.showModal();
  $("disconnect-cancel").focus();
}

async function disconnectClosed() {
  if ($("disconnect-dialog").returnValue !== "confirm") { $("disconnect").focus(); return; }
  try {
    const view = await api("admin", "DELETE", agentPath("/connection"));
    renderConnection(view);
    form.selected = null;
    $("connect").focus();
  } catch (error) {
    renderConnection({ status: "error", message: error.message });
  }
}

// ---------- event types (EventTypeSelect) ----------

function renderEventTypesEmpty(message) {
  const list = $("event-types");
  list.replaceChildren($("event-type-label") || el("span", { id: "event-type-label", class: "visually-hidden", text: "Event type" }),
    el("p", { class: "empty", text: message }));
}

function renderSkeleton() {
  const list = $("event-types");
  list.setAttribute("aria-busy", "true");
  list.replaceChildren($("event-type-label"), ...[0, 1, 2].map(() => el("div", { class: "skeleton", "aria-hidden": "true" })));
  $("event-types-note").textContent = "Loading event types…";
}

function choiceFor(item) {
  const input = el("input", { type: "radio", name: "event-type", value: item.uri });
  input.checked = form.selected && form.selected.uri === item.uri;
  input.addEventListener("change", () => selectEventType(item));
  return el("label", { class: "choice" }, input, el("span", { text: item.name }), el("span", { class: "duration", text: `${item.durationMinutes} min` }));
}

let eventTypesRequest = 0;
async function loadEventTypes(refresh) {
  const request = ++eventTypesRequest;
  const query = $("event-type-search").value.trim();
  $("event-types-banner").hidden = true;
  renderSkeleton();
  let view;
  try {
    view = await api("admin", "GET", agentPath(`/event-types?q=${encodeURIComponent(query)}${refresh ? "&refresh=true" : ""}`));
  } catch (error) {
    if (request !== eventTypesRequest) return;
    $("event-types").setAttribute("aria-busy", "false");
    if (error.status === 409) { renderEventTypesEmpty(COPY.connectPrompt); $("event-types-note").textContent = ""; return; }
    $("event-types-error").textContent = error.status === 0 ? COPY.network : COPY.couldNotRefresh;
    $("event-types-banner").hidden = false;
    renderEventTypesEmpty(error.message);
    $("event-types-note").textContent = "";
    return;
  }
  if (request !== eventTypesRequest) return;   // a newer search answered first
  $("event-types").setAttribute("aria-busy", "false");
  renderEventTypes(view, query);
}

function renderEventTypes(view, query) {
  const list = $("event-types");
  const note = $("event-types-note");
  const items = view.items || [];
  form.lastItems = items;
  if (view.status === "refresh_failed" || view.status === "error") {
    $("event-types-error").textContent = view.status === "error" ? (view.message || COPY.couldNotRefresh) : COPY.couldNotRefresh;
    $("event-types-banner").hidden = false;
  }
  if (view.status === "plan_insufficient") {
    renderEventTypesEmpty(view.message || COPY.noEligible);
    note.textContent = "";
    return;
  }
  if (items.length === 0) {
    const message = query && view.status !== "empty" ? `No event types match “${query}”.` : (view.status === "error" ? (view.message || "") : (view.message || COPY.noEligible));
    renderEventTypesEmpty(view.status === "empty" ? COPY.noEligible : message);
    note.textContent = "";
    return;
  }
  const rows = items.map(choiceFor);
  // Keep a chosen type visible even when a search hides it.
  if (form.selected && !items.some((item) => item.uri === form.selected.uri)) rows.unshift(choiceFor(form.selected));
  list.replaceChildren($("event-type-label"), ...rows);
  const total = view.totalMatches ?? items.length;
  note.textContent = total > items.length
    ? `Showing ${items.length} of ${total} event types. Search by name to find the others.`
    : `${total} eligible event type${total === 1 ? "" : "s"}. Only one-on-one event types can be booked from chat.`;
}

function selectEventType(item) {
  form.selected = item;
  clearError("eventType");
  renderQuestionRows(item.customQuestions || []);
}

function renderQuestionRows(questions) {
  const container = $("question-rows");
  const rows = questions.map((question, index) => {
    const id = `question-${index}`;
    const input = el("input", { id, list: "field-suggestions", spellcheck: "false", "data-question": question, placeholder: "not mapped" });
    input.value = form.mappings[question] || "";
    input.addEventListener("input", () => { form.mappings[question] = input.value; });
    return el("div", { class: "mapping-row" }, el("label", { for: id, text: `“${question}”` }), input);
  });
  if (rows.length > 0) container.replaceChildren(el("p", { class: "hint", text: "Answers to this event type's questions:" }), ...rows);
  else container.replaceChildren();
}

// ---------- action (trigger, mappings, confirmation, save) ----------

function fillForm(action) {
  const draft = action.draft || {};
  form.selected = action.eventType || null;
  form.mappings = {};
  for (const mapping of draft.questionMappings || []) form.mappings[mapping.question] = mapping.field;
  $("name-field").value = draft.nameField || "";
  $("email-field").value = draft.emailField || "";
  $("trigger").value = draft.trigger || "";
  $("confirmation").value = draft.confirmationMessage || "";
  $("enabled").checked = draft.enabled !== false;
  updateCounter();
  renderQuestionRows(form.selected ? form.selected.customQuestions || [] : []);
  renderRequiredQuestions(action);
}

/** The questions feature lists what the chat will still ask; shown when the answer carries it, ignored otherwise. */
function renderRequiredQuestions(answer) {
  const raw = answer && (answer.askedInChat || answer.requiredQuestions || answer.askedQuestions);
  const box = $("required-questions");
  const review = answer && answer.needsReview;
  $("review-banner").hidden = !(review && review.reason);
  if (review && review.reason) $("review-banner").textContent = `Review this action: ${review.reason}`;
  if (!Array.isArray(raw) || raw.length === 0) { box.hidden = true; return; }
  const label = (entry) => {
    if (typeof entry === "string") return entry;
    const text = entry && (entry.question || entry.name || entry.label);
    if (!text) return "";
    return entry.when === "when_field_empty" ? `${text} (only when the contact has no value for it)` : text;
  };
  $("required-questions-list").replaceChildren(...raw.map(label).filter(Boolean).map((text) => el("li", { text })));
  box.hidden = false;
}

function updateCounter() {
  const length = [...$("confirmation").value].length;
  const counter = $("confirmation-count");
  counter.textContent = `${length.toLocaleString("en-US")} / ${CONFIRMATION_LIMIT.toLocaleString("en-US")}`;
  counter.classList.toggle("over", length > CONFIRMATION_LIMIT);
}

const FIELD_INPUT = { eventType: "event-type-search", emailField: "email-field", nameField: "name-field", trigger: "trigger", confirmationMessage: "confirmation" };

function clearError(field) {
  const node = $("error-" + field);
  if (node) { node.hidden = true; node.textContent = ""; }
  const input = FIELD_INPUT[field] && $(FIELD_INPUT[field]);
  if (input) input.removeAttribute("aria-invalid");
}

function showError(field, message) {
  const node = $("error-" + field) || $("save-banner");
  node.textContent = message;
  node.hidden = false;
  if (node.id === "save-banner") node.className = "banner error";
  const input = FIELD_INPUT[field] && $(FIELD_INPUT[field]);
  if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
  else if (field === "questionMappings") document.querySelector("#question-rows input")?.focus();
}

async function save(event) {
  event.preventDefault();
  for (const field of ["eventType", "emailField", "trigger", "confirmationMessage", "questionMappings"]) clearError(field);
  const banner = $("save-banner");
  banner.hidden = true;
  const questionMappings = [...document.querySelectorAll("#question-rows input")]
    .filter((input) => input.value.trim())
    .map((input) => ({ question: input.dataset.question, field: input.value.trim() }));
  const orNull = (value) => value.trim() === "" ? null : value.trim();
  const draft = {
    eventType: form.selected ? form.selected.uri : null,
    nameField: orNull($("name-field").value),
    emailField: orNull($("email-field").value),
    questionMappings,
    trigger: $("trigger").value.trim(),
    confirmationMessage: $("confirmation").value,
    enabled: $("enabled").checked,
  };
  $("save").disabled = true;
  try {
    const saved = await api("admin", "PUT", agentPath("/action"), draft);
    banner.className = "banner ok";
    const when = saved.savedAt ? new Date(saved.savedAt).toLocaleTimeString() : "";
    banner.textContent = `Saved${when ? " at " + when : ""}: ${saved.eventType.name} — ${saved.runnable ? "the agent offers booking when the trigger is met." : `saved but not offered: ${notOfferedText(saved.notRunnableReason)}.`}`;
    banner.hidden = false;
    renderRequiredQuestions(saved);
  } catch (error) {
    if (error.status === 422 && error.body.field) showError(error.body.field, error.message);
    else { banner.className = "banner error"; banner.textContent = error.message; banner.hidden = false; }
  } finally {
    $("save").disabled = !form.connected;
  }
}

// ---------- analytics ----------

// Analytics count UTC days, so the default range is in UTC days too.
function isoDay(date) { return date.toISOString().slice(0, 10); }

const TILES = [["created", "Created"], ["failed", "Failed"], ["canceled", "Canceled"], ["rescheduled", "Rescheduled"], ["fallbackBooked", "Fallback booked"]];

async function loadAnalytics(event) {
  event?.preventDefault();
  const from = $("from").value, to = $("to").value;
  const role = $("viewer").value;
  $("analytics-banner").hidden = true;
  $("analytics-empty").hidden = true;
  $("daily").hidden = true;
  $("tiles").setAttribute("aria-busy", "true");
  $("tiles").replaceChildren(...TILES.map(() => el("div", { class: "tile skeleton", "aria-hidden": "true" })));
  try {
    const report = await api(role, "GET", agentPath(`/analytics?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`));
    renderAnalytics(report);
  } catch (error) {
    $("tiles").replaceChildren();
    $("analytics-error").textContent = error.status === 400 || error.status === 0 || error.status === 401 ? error.message : "";
    $("analytics-banner").hidden = false;
  } finally {
    $("tiles").setAttribute("aria-busy", "false");
  }
}

function renderAnalytics(report) {
  const totals = report.totals || {};
  $("tiles").replaceChildren(...TILES.map(([key, label]) =>
    el("div", { class: "tile", "data-metric": key }, el("span", { class: "count", text: String(totals[key] ?? 0) }), el("span", { class: "label", text: label }))));
  const days = (report.daily || []).filter((day) => TILES.some(([key]) => (day.totals[key] || 0) > 0));
  if (report.emptyMessage || days.length === 0) {
    $("analytics-empty").textContent = report.emptyMessage || "No bookings yet for this range.";
    $("analytics-empty").hidden = false;
    return;
  }
  $("daily").querySelector("tbody").replaceChildren(...days.map((day) =>
    el("tr", {}, el("th", { scope: "row", text: day.date }), ...TILES.map(([key]) => el("td", { text: String(day.totals[key] || 0) })))));
  $("daily").hidden = false;
}

// ---------- web chat (the customer's side) ----------

const chat = { id: null, used: new Set(), poll: null, state: null, after: 0 };
const TERMINAL = new Set(["notOffered", "confirmed", "staticLink"]);

function newConversationId() { return "web-" + Math.random().toString(36).slice(2, 8); }

function linkified(text) {
  const fragment = document.createDocumentFragment();
  for (const part of String(text).split(/(https?:\/\/[^\s]+)/g)) {
    if (/^https?:\/\//.test(part)) fragment.append(el("a", { href: part, target: "_blank", rel: "noopener noreferrer", text: part }));
    else if (part) fragment.append(document.createTextNode(part));
  }
  return fragment;
}

function appendBubble(node, who = "agent") {
  const item = el("li", { class: `msg ${who}` }, node);
  $("messages").append(item);
  item.scrollIntoView({ block: "nearest" });
  return item;
}

function renderMessage(message) {
  switch (message.type) {
    case "text":
      return appendBubble(linkified(message.text || ""));
    case "interactive_list": {
      // WhatsApp-style: the list opens from its button; each row is one tap.
      const rows = el("div", { class: "list-rows", hidden: true, role: "group", "aria-label": message.button || "Choose a time" },
        ...(message.rows || []).map((row) => el("button", { type: "button", "data-row": row.id, onclick: () => chooseRow(row.id, row.title, rows) },
          el("span", { text: row.title }), row.description ? el("span", { class: "desc", text: row.description }) : null)));
      const open = el("button", { type: "button", class: "list-open", "aria-expanded": "false", text: message.button || "Choose a time" });
      open.addEventListener("click", () => {
        rows.hidden = !rows.hidden;
        open.setAttribute("aria-expanded", String(!rows.hidden));
        if (!rows.hidden) rows.querySelector("button")?.focus();
      });
      return appendBubble(el("div", {}, linkified(message.body || ""), open, rows));
    }
    case "buttons": {
      const group = el("div", { class: "list-rows", role: "group" });
      group.append(...(message.buttons || []).map((button) => el("button", { type: "button", "data-row": button.id, text: button.label,
        onclick: () => chooseRow(button.id, button.label, group) })));
      return appendBubble(el("div", {}, linkified(message.body || ""), group));
    }
    case "confirmation_card": {
      const card = message.card || {};
      return appendBubble(el("article", { class: "card", "aria-label": "Booking confirmed" },
        el("h3", { text: card.eventName || "Booked" }),
        el("p", { class: "when", text: card.when || "" }),
        card.message ? el("p", { text: card.message }) : null,
        card.detailsURL ? el("a", { href: card.detailsURL, target: "_blank", rel: "noopener noreferrer", text: "View booking details" }) : null));
    }
    default:
      return appendBubble(document.createTextNode(message.text || message.body || "(a message this console cannot show)"), "system");
  }
}

function setChatState(state) {
  chat.state = state;
  const open = state && !TERMINAL.has(state);
  $("reply").disabled = !open;
  $("send").disabled = !open;
  $("chat-state").textContent = state ? `Conversation ${chat.id}: ${state}` : "";
}

function showConversation(answer) {
  for (const message of answer.messages || []) renderMessage(message);
  setChatState(answer.state);
}

function chatError(error) {
  const banner = $("chat-banner");
  banner.textContent = error.message;
  banner.hidden = false;
}

async function startChat(event) {
  event.preventDefault();
  $("chat-banner").hidden = true;
  let id = $("conversation-id").value.trim();
  if (!validId(id) || chat.used.has(id)) { id = newConversationId(); $("conversation-id").value = id; }
  chat.used.add(id);
  chat.id = id;
  chat.after = 0;
  stopPolling();
  $("messages").replaceChildren();
  appendBubble(document.createTextNode("I'd like to book a meeting."), "me");
  const contact = {};
  const put = (key, input) => { const value = $(input).value.trim(); if (value) contact[key] = value; };
  put("contact.name", "contact-name"); put("contact.email", "contact-email"); put("contact.company", "contact-company");
  const checking = appendBubble(document.createTextNode(COPY.checking), "system");
  $("start-chat").disabled = true;
  try {
    const answer = await api("runtime", "POST", `/v1/conversations/${encodeURIComponent(id)}/booking/offer`,
      { agentId: agentId(), channel: $("channel").value, timeZone: $("time-zone").value.trim() || "UTC", contact });
    checking.remove();
    showConversation(answer);
    startPolling();
    (document.querySelector("#messages .list-open") || document.querySelector("#messages .list-rows button") || $("reply")).focus();
  } catch (error) {
    checking.remove();
    chatError(error);
  } finally {
    $("start-chat").disabled = false;
  }
}

async function reply(body, shown) {
  if (!chat.id) return;
  $("chat-banner").hidden = true;
  appendBubble(document.createTextNode(shown), "me");
  try {
    showConversation(await api("runtime", "POST", `/v1/conversations/${encodeURIComponent(chat.id)}/booking/reply`, body));
  } catch (error) {
    chatError(error);
  }
}

function chooseRow(id, title, group) {
  for (const button of group.querySelectorAll("button")) button.disabled = true;
  reply({ rowId: id }, title);
}

function sendText(event) {
  event.preventDefault();
  const input = $("reply");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  reply({ text }, text).then(() => { if (!input.disabled) input.focus(); });
}

// Messages that arrive later (webhook confirmations, reconciliation) come from the messages endpoint.
function startPolling() {
  stopPolling();
  const id = chat.id;
  const tick = async () => {
    if (chat.id !== id) return;
    try {
      // The outbox is durable and read by cursor: only what came after the last message shown.
      const answer = await api("runtime", "GET", `/v1/conversations/${encodeURIComponent(id)}/booking/messages?after=${chat.after}`);
      if (chat.id !== id) return;
      if (typeof answer.lastSeq === "number" && answer.lastSeq > chat.after) chat.after = answer.lastSeq;
      if ((answer.messages || []).length > 0) showConversation(answer);
      else if (answer.state !== chat.state) setChatState(answer.state);
    } catch { /* a missed poll is retried on the next tick */ }
    if (chat.id === id) chat.poll = setTimeout(tick, 2000);
  };
  chat.poll = setTimeout(tick, 2000);
}

function stopPolling() { clearTimeout(chat.poll); chat.poll = null; }

// ---------- wiring ----------

let searchTimer = null;
document.addEventListener("DOMContentLoaded", () => {
  session.load();
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 29 * 24 * 60 * 60 * 1000);
  $("from").value = isoDay(monthAgo);
  $("to").value = isoDay(today);
  $("time-zone").value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  $("conversation-id").value = newConversationId();

  $("demo-session").addEventListener("click", startDemoSession);
  $("signin").addEventListener("submit", pasteTokens);
  $("sign-out").addEventListener("click", signOut);
  $("agent-id").addEventListener("change", () => { form.selected = null; form.mappings = {}; if (session.has("admin") || session.has("supervisor")) refreshAll(); });
  $("calendly-row").addEventListener("click", () => {
    const details = $("details-form");
    details.hidden = !details.hidden;
    $("calendly-row").setAttribute("aria-expanded", String(!details.hidden));
  });
  $("connect").addEventListener("click", connect);
  $("connection-retry").addEventListener("click", connect);
  $("disconnect").addEventListener("click", askDisconnect);
  $("disconnect-dialog").addEventListener("close", disconnectClosed);
  $("event-type-search").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => loadEventTypes(false), 250); });
  $("event-types-refresh").addEventListener("click", () => loadEventTypes(true));
  $("event-types-retry").addEventListener("click", () => loadEventTypes(true));
  $("confirmation").addEventListener("input", () => { updateCounter(); clearError("confirmationMessage"); });
  $("email-field").addEventListener("input", () => clearError("emailField"));
  $("details-form").addEventListener("submit", save);
  $("analytics-form").addEventListener("submit", loadAnalytics);
  $("analytics-retry").addEventListener("click", () => loadAnalytics());
  $("viewer").addEventListener("change", () => loadAnalytics());
  $("chat-setup").addEventListener("submit", startChat);
  $("composer").addEventListener("submit", sendText);

  showSession();
  renderConnection({ status: "not_connected" });
  updateCounter();
  if (Object.keys(session.tokens).length > 0) refreshAll();
});
