// The dashboard's script (served at /assets/dashboard.js; the page's CSP allows no inline script).
"use strict";
const PRODUCT = "BTC-USD";
const KEY_STORAGE = "coinswarm.api_key";
const LWC = window.LightweightCharts;
const $ = (id) => document.getElementById(id);
const fmt = (x, d = 2) => x == null || x === "" ? "–" : Number(x).toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
const timeOf = (ms) => new Date(ms).toISOString().replace("T", " ").slice(0, 16);
function text(el, value) { el.textContent = value; }
function bump(name, by = 1) { document.body.dataset[name] = String(Number(document.body.dataset[name]) + by); }
function escapeHtml(s) { return String(s).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c])); }

// ---- Charts ----------------------------------------------------------------------------
// Times are bar starts in UTC seconds; the library shows them as given, so the axis is UTC.
const utcLabel = (t) => new Date(t * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC";
const chartOptions = () => ({
  autoSize: true,
  layout: { background: { color: "#171d24" }, textColor: "#8a96a3", fontSize: 11, panes: { separatorColor: "#242c35" } },
  grid: { vertLines: { color: "#1e252d" }, horzLines: { color: "#1e252d" } },
  crosshair: { mode: LWC.CrosshairMode.Normal },
  rightPriceScale: { borderColor: "#242c35" },
  timeScale: { borderColor: "#242c35", timeVisible: true, secondsVisible: false, rightOffset: 4 },
  localization: { timeFormatter: utcLabel },
  handleScroll: true, handleScale: true,
});
const priceChart = LWC.createChart($("price-chart"), chartOptions());
const candleSeries = priceChart.addSeries(LWC.CandlestickSeries, {
  upColor: "#3fb950", downColor: "#f85149", borderVisible: false, wickUpColor: "#3fb950", wickDownColor: "#f85149",
});
const volumeSeries = priceChart.addSeries(LWC.HistogramSeries, { priceScaleId: "volume", priceFormat: { type: "volume" }, lastValueVisible: false, priceLineVisible: false });
priceChart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
candleSeries.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.25 } });
const candleMarkers = LWC.createSeriesMarkers(candleSeries, []);

const equityChart = LWC.createChart($("equity-chart"), chartOptions());
const equitySeries = equityChart.addSeries(LWC.LineSeries, { color: "#58a6ff", lineWidth: 2, title: "equity" });
const drawdownSeries = equityChart.addSeries(LWC.AreaSeries, {
  lineColor: "#f85149", topColor: "rgba(248,81,73,0.05)", bottomColor: "rgba(248,81,73,0.35)", lineWidth: 1,
  priceFormat: { type: "percent" }, title: "drawdown", invertFilledArea: true,
}, 1);
if (equityChart.panes()[1]) { equityChart.panes()[1].setHeight(80); }

let barSeconds = 3600;
const bars = new Map();          // bar start (s) -> {time, open, high, low, close, volume}
let lastBarTime = 0;
const GRANULARITY_SECONDS = { ONE_MINUTE: 60, FIVE_MINUTE: 300, FIFTEEN_MINUTE: 900, THIRTY_MINUTE: 1800, ONE_HOUR: 3600, TWO_HOUR: 7200, FOUR_HOUR: 14400, SIX_HOUR: 21600, ONE_DAY: 86400 };

// The most bars kept on the chart; older ones are dropped a block at a time.
const MAX_BARS = 5000;
const candlePoint = (bar) => ({ time: bar.time, open: bar.open, high: bar.high, low: bar.low, close: bar.close });
const volumePoint = (bar) => ({ time: bar.time, value: bar.volume, color: bar.close >= bar.open ? "rgba(63,185,80,0.45)" : "rgba(248,81,73,0.45)" });

let firstBarTime = Infinity;

function drawBar(bar) {
  const known = bars.has(bar.time);
  // A bar older than the latest can only replace one already drawn (the closed bar from the
  // candles channel may arrive after the next bar's first tick); nothing can be inserted.
  if (bar.time < lastBarTime && !known) { return; }
  const historical = bar.time < lastBarTime;
  bars.set(bar.time, bar);
  lastBarTime = Math.max(lastBarTime, bar.time);
  firstBarTime = Math.min(firstBarTime, bar.time);
  candleSeries.update(candlePoint(bar), historical);
  volumeSeries.update(volumePoint(bar), historical);
  if (!known) { bump("drawnCandles"); }
  if (bars.size > MAX_BARS) {
    const kept = [...bars.values()].sort((a, b) => a.time - b.time).slice(-(MAX_BARS - 1000));
    bars.clear();
    for (const b of kept) { bars.set(b.time, b); }
    firstBarTime = kept[0].time;
    candleSeries.setData(kept.map(candlePoint));
    volumeSeries.setData(kept.map(volumePoint));
    for (const [key, marker] of markers) { if (marker.time < firstBarTime) { markers.delete(key); } }
    renderMarkers();
  }
}

const candleOf = (c) => ({ time: Math.floor(c.start / 1000), open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close), volume: Number(c.volume) });

// A tick moves the bar it falls in (a new bar opens at the tick's price); the closed bar
// from the candles channel then replaces it with the feed's own figures and volume.
function extendWithTick(priceNow, timeMs) {
  const start = Math.floor(timeMs / 1000 / barSeconds) * barSeconds;
  const bar = bars.get(start);
  if (bar) { drawBar({ ...bar, high: Math.max(bar.high, priceNow), low: Math.min(bar.low, priceNow), close: priceNow }); }
  else { drawBar({ time: start, open: priceNow, high: priceNow, low: priceNow, close: priceNow, volume: 0 }); }
}

// The bar a decision was taken at the close of.
const barOfDecision = (ms) => Math.floor((ms - 1) / 1000 / barSeconds) * barSeconds;
const markers = new Map();       // key -> marker
function addMarker(key, marker) {
  // The library would move a marker off the chart's bars onto the nearest one: keep only
  // those on a drawn bar.
  if (markers.has(key) || marker.time < firstBarTime) { return; }
  markers.set(key, marker);
  renderMarkers();
}
function renderMarkers() {
  candleMarkers.setMarkers([...markers.values()].sort((a, b) => a.time - b.time));
  document.body.dataset.markers = String(markers.size);
}

const equityPoints = new Map();  // time (s) -> equity
function addEquity(ms, value) {
  equityPoints.set(Math.floor(ms / 1000), Number(value));
  if (equityPoints.size > MAX_BARS) { equityPoints.delete(Math.min(...equityPoints.keys())); }
  const points = [...equityPoints.entries()].sort((a, b) => a[0] - b[0]);
  let peak = -Infinity;
  const drawdown = points.map(([time, v]) => { peak = Math.max(peak, v); return { time, value: peak > 0 ? (v / peak - 1) * 100 : 0 }; });
  equitySeries.setData(points.map(([time, value]) => ({ time, value })));
  drawdownSeries.setData(drawdown);
  const last = drawdown[drawdown.length - 1];
  $("equity-legend").innerHTML = `equity <b>${fmt(points[points.length - 1][1])}</b> · drawdown <b class="${last.value < 0 ? "down" : ""}">${last.value.toFixed(2)}%</b> · max <b>${Math.min(...drawdown.map(d => d.value)).toFixed(2)}%</b>`;
}

priceChart.subscribeCrosshairMove((param) => {
  const bar = param.time !== undefined ? bars.get(param.time) : bars.get(lastBarTime);
  if (!bar) { return; }
  const css = bar.close >= bar.open ? "up" : "down";
  $("price-legend").innerHTML = `${utcLabel(bar.time)} · O <b>${fmt(bar.open)}</b> H <b>${fmt(bar.high)}</b> L <b>${fmt(bar.low)}</b> C <b class="${css}">${fmt(bar.close)}</b> · V <b>${fmt(bar.volume, 4)}</b>`;
});

// ---- The swarm -------------------------------------------------------------------------
const decisions = [], swarmOrders = [];

function onTicker(data) {
  if (document.body.dataset.candlesAtFirstTick === "-1") { document.body.dataset.candlesAtFirstTick = document.body.dataset.drawnCandles; }
  const p = Number(data.price);
  text($("price"), fmt(data.price)); text($("market-time"), timeOf(data.time) + " UTC");
  extendWithTick(p, data.time);
  bump("ticks");
}

const seenDecisions = new Set();
function onDecision(d, live) {
  // History reloaded after a reconnect repeats decisions already shown.
  // seq counts from 0 again after a server restart, so a decision is its time and seq.
  const id = `${d.time}:${d.seq}`;
  if (seenDecisions.has(id)) { return; }
  seenDecisions.add(id);
  document.body.dataset.latestDecision = String(Math.max(Number(document.body.dataset.latestDecision), d.time));
  if (seenDecisions.size > 2 * MAX_BARS) { seenDecisions.delete(seenDecisions.values().next().value); }
  bump("decisions");
  decisions.unshift(d); if (decisions.length > 40) { decisions.pop(); }
  // A live swarm's public decisions carry no account figures (equity, order sizes).
  if (d.equity !== undefined) { addEquity(d.time, d.equity); }
  text($("regime"), d.regime.replace("_", " ")); text($("breaker"), d.breaker.state);
  text($("oversight"), d.oversight.length ? d.oversight.map(b => typeof b === "string" ? b : JSON.stringify(b)).join(", ") : "passing");
  text($("halted"), d.halted ? "yes" : "no");
  if (d.order) {
    const side = d.order.side, results = d.order.results || [];
    const time = barOfDecision(d.time);
    addMarker(`order-${id}`, { time, position: side === "BUY" ? "belowBar" : "aboveBar", color: side === "BUY" ? "#3fb950" : "#f85149", shape: side === "BUY" ? "arrowUp" : "arrowDown", text: side === "BUY" ? "B" : "S" });
    if (results.some(r => /FILLED/.test(r))) {
      addMarker(`fill-${id}`, { time, position: "inBar", color: "#e3b341", shape: "circle", size: 0.6 });
    }
    swarmOrders.unshift({ time: d.time, side, kind: typeof d.order.style === "string" ? d.order.style : Object.keys(d.order.style)[0], size: d.order.base_size === undefined ? "hidden (live account)" : `${d.order.base_size} (${fmt(d.order.notional)})`, price: d.price, result: results.join(", ") });
    if (swarmOrders.length > 20) { swarmOrders.pop(); }
    renderSwarmOrders();
  }
  renderWeights(d.weights);
  if (live) { renderDecisions(); }
}

// The committee's members in weight order; /api/swarm names them (its weights are
// [name, weight] pairs), and the stream's decisions then carry the weights alone.
let agentNames = ["trend", "mean_reversion", "risk", "hedge", "arbitrage", "execution", "recall", "learned"];
function renderWeights(weights, names) {
  if (!weights) { return; }
  if (names) { agentNames = names; }
  const rows = weights.map((w, i) => `<tr><td>${escapeHtml(agentNames[i] || "agent " + i)}</td><td style="width:60%"><div class="bar" style="width:${Math.round(w * 100)}%"></div></td><td>${fmt(w, 3)}</td></tr>`);
  $("weights").innerHTML = rows.join("");
}

function renderDecisions() {
  $("decisions").innerHTML = decisions.map(d => {
    const css = (action) => action === "BUY" ? "buy" : action === "SELL" ? "sell" : "";
    const votes = d.votes.map(v => `${escapeHtml(v.agent)}: <span class="${css(v.action)}">${escapeHtml(v.action)}</span> (${fmt(v.confidence, 2)})${v.veto ? " <b>veto</b>" : ""} <span class="muted">${escapeHtml(v.reason)}</span>`).join("<br>") || '<span class="muted">every agent abstained</span>';
    return `<div style="border-bottom:1px solid #222a33;padding:4px 0"><b class="${css(d.action)}">${escapeHtml(d.action)}</b> ${timeOf(d.time)} @ ${fmt(d.price)} <span class="muted">${escapeHtml(d.regime)}${d.skipped ? " · skipped: " + escapeHtml(d.skipped) : ""}</span><br>${votes}</div>`;
  }).join("");
  text($("decision-count"), document.body.dataset.decisions);
}

function renderSwarmOrders() {
  $("orders").innerHTML = swarmOrders.map(o => `<tr><td>${timeOf(o.time)}</td><td class="${o.side === "BUY" ? "buy" : "sell"}">${escapeHtml(o.side)}</td><td>${escapeHtml(o.kind)}</td><td>${escapeHtml(o.size)}</td><td>${fmt(o.price)}</td><td class="muted">${escapeHtml(o.result)}</td></tr>`).join("");
}

// Problems with the public data, by source, shown in the header until the source answers.
const notices = new Map();
function notice(source, message) {
  if (message) { notices.set(source, message); } else { notices.delete(source); }
  text($("notice"), [...notices.values()].join(" · "));
}

async function refreshSwarm() {
  let body;
  try { body = await publicGet("/api/swarm"); notice("swarm", null); }
  catch (e) { notice("swarm", `swarm: ${e.message}`); return; }
  {
    const account = body.account, swarm = body.swarm;
    text($("mode"), body.mode === "live" ? "LIVE trading" : "paper trading");
    text($("breaker"), swarm.breaker); text($("halted"), swarm.halted ? "yes" : "no");
    renderWeights(swarm.weights.map(w => w[1]), swarm.weights.map(w => w[0]));
    // A live swarm's account (real Coinbase balances) is not shown to the public page.
    if (!account) {
      text($("equity"), "hidden (live account)");
      $("balances").innerHTML = '<tr><td colspan="3" class="muted">live account: balances need an API key</td></tr>';
      $("positions").innerHTML = "";
      return;
    }
    text($("equity"), fmt(account.equity));
    $("balances").innerHTML = account.balances.map(b => `<tr><td>${escapeHtml(b.currency)}</td><td>${fmt(b.total, 8)}</td><td>${fmt(b.hold, 8)}</td></tr>`).join("");
    $("positions").innerHTML = account.positions.map(p => `<tr><td>${escapeHtml(p.product_id)}</td><td>${fmt(p.size, 8)}</td><td>${fmt(p.average_entry_price)}</td><td>${fmt(p.unrealised_pnl)}</td><td>${fmt(p.realised_pnl)}</td></tr>`).join("");
  }
}

async function refreshMemory() {
  let memory, patterns;
  try {
    [memory, patterns] = await Promise.all([publicGet("/api/memory"), publicGet("/api/memory/patterns").then(b => b.patterns)]);
    notice("memory", null);
  } catch (e) { notice("memory", `pattern memory: ${e.message}`); return; }
  {
    text($("memory-episodes"), String(memory.episodes));
    text($("memory-resolved"), String(memory.resolved));
    const lifecycles = Object.entries(memory.patterns).map(([name, n]) => `${n} ${name}`);
    text($("memory-patterns"), lifecycles.length ? lifecycles.join(", ") : (memory.enabled ? "none learned yet" : "memory is off"));
    text($("memory-audit"), String(memory.audit_records));
    const pct = (x) => `${(x * 100).toFixed(1)}%`;
    $("memory-table").innerHTML = patterns.map(p => `<tr><td>${escapeHtml(p.id)}</td><td>${escapeHtml(p.lifecycle)}</td><td>${p.weight.toFixed(2)}</td><td>${p.stats.count}</td><td>${pct(p.stats.win_rate)}</td><td>${(p.stats.mean * 100).toFixed(3)}%</td><td>${p.stats.sharpe.toFixed(2)}</td><td>${pct(p.stats.max_drawdown)}</td><td>${escapeHtml(p.stats.regime)}</td><td>${p.live.count}</td></tr>`).join("");
  }
}

// ---- The stream ------------------------------------------------------------------------
// Messages that arrive before the history is drawn wait, so history is always drawn first
// and no bar between the history and the first live message is lost.
let socket = null, historyLoaded = false, historyGeneration = 0;
const waiting = [];
// Reconnects wait 1 s, then twice as long each time (at most 30 s), until one opens.
const RECONNECT_FIRST_MS = 1000, RECONNECT_MAX_MS = 30000;
let reconnectMs = RECONNECT_FIRST_MS;

function onMessage(message) {
  if (message.channel === "ticker") { onTicker(message.data); }
  else if (message.channel === "candles") { bump("candles"); drawBar(candleOf(message.data)); }
  else if (message.channel === "decisions") { onDecision(message.data, true); }
  else if (message.channel === "fills") { onFill(message.data); }
  else if (message.type === "error") { streamError(message); }
}

function streamError(message) {
  // The only per-caller channel is fills: an error about it belongs to the account panel.
  if (/fills|key/i.test(message.message)) { accountError(`fills: ${message.message}`); }
  else { text($("status"), `stream: ${message.message}`); }
}

function connect() {
  socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/stream`);
  socket.onopen = () => {
    text($("status"), "live");
    reconnectMs = RECONNECT_FIRST_MS;
    socket.send(JSON.stringify({ type: "subscribe", channels: ["ticker", "candles", "decisions", "heartbeats"], product_ids: [PRODUCT] }));
    if (apiKey) { subscribeFills(); }
  };
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (historyLoaded) { onMessage(message); } else { waiting.push(message); }
  };
  socket.onclose = (event) => {
    text($("status"), `disconnected${event.reason ? ": " + event.reason : ""}; retrying in ${Math.round(reconnectMs / 1000)} s`);
    // What was missed while away comes from the history again, before live messages.
    historyLoaded = false;
    setTimeout(() => { connect(); loadHistory(); }, reconnectMs);
    reconnectMs = Math.min(2 * reconnectMs, RECONNECT_MAX_MS);
  };
}

function subscribeFills() {
  if (socket && socket.readyState === WebSocket.OPEN && apiKey) {
    socket.send(JSON.stringify({ type: "subscribe", channels: ["fills"], api_key: apiKey }));
  }
}

async function loadHistory() {
  // Only the latest load (a reconnect starts another) draws and releases the waiting messages.
  const generation = ++historyGeneration;
  const current = () => generation === historyGeneration;
  try {
    const body = await publicGet(`/api/candles?product_id=${PRODUCT}`);
    if (!current()) { return; }
    {
      barSeconds = GRANULARITY_SECONDS[body.granularity] || barSeconds;
      text($("granularity"), `· ${body.granularity.replace("_", " ").toLowerCase()} bars, UTC`);
      const history = body.candles.map(candleOf);
      for (const bar of history) { drawBar(bar); }
      document.body.dataset.historyCandles = String(history.length);
    }
    const past = (await publicGet("/api/decisions?limit=500")).decisions.slice().reverse();
    if (!current()) { return; }
    for (const decision of past) { onDecision(decision, false); }
    renderDecisions();
    notice("history", null);
  } catch (e) {
    if (!current()) { return; }
    notice("history", `history: ${e.message}`);
  }
  historyLoaded = true;
  for (const message of waiting.splice(0)) { onMessage(message); }
  priceChart.timeScale().scrollToRealTime();
}

// ---- Your account ----------------------------------------------------------------------
let apiKey = sessionStorage.getItem(KEY_STORAGE);
let accountId = null;
// The ticket as last previewed and accepted ({body, clientOrderId}); placing needs the same one.
let previewed = null;
// Each refresh of the account and of the orders is numbered: an answer that arrives after a
// newer one was asked for is dropped, so an old answer never overwrites a newer one.
let accountRefresh = 0, ordersRefresh = 0;

// An error answer (or none): the API's message and code, the HTTP status, when to retry.
class ApiError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}

async function send(method, path, init) {
  try { return await fetch(path, { method, ...init }); }
  catch (e) { throw new ApiError(`${method} ${path}: the server could not be reached (${e.message})`, 0); }
}

async function answerOf(response) {
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    const error = payload && payload.error;
    const retry = response.headers.get("Retry-After");
    const message = error ? `${error.message} (${error.code}, HTTP ${response.status})` : `HTTP ${response.status}`;
    throw new ApiError(`${message}${retry ? `; try again in ${retry} s` : ""}`, response.status);
  }
  return payload;
}

// A request with the key.
async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${apiKey}` };
  if (body !== undefined) { headers["Content-Type"] = "application/json"; }
  return answerOf(await send(method, path, { headers, body: body === undefined ? undefined : JSON.stringify(body) }));
}

// A public read: with the key when there is one (a live swarm's account figures need a key
// that may read them), and without it when the key is refused.
async function publicGet(path) {
  const withKey = apiKey;
  let response = await send("GET", path, withKey ? { headers: { Authorization: `Bearer ${withKey}` } } : {});
  if (withKey && response.status === 401) { response = await send("GET", path, {}); }
  return answerOf(response);
}

// A client order id for each previewed ticket, so a retried "Place" cannot place twice.
function newClientOrderId() {
  if (crypto.randomUUID) { return crypto.randomUUID(); } // only in secure contexts (https, loopback)
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map(x => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function accountError(message) { const el = $("account-status"); el.className = "message error"; text(el, message); }
function showMessage(id, message, ok) { const el = $(id); el.className = `message ${ok ? "ok" : "error"}`; text(el, message); }

async function useKey(key) {
  apiKey = key;
  try {
    const audit = await api("GET", "/api/orders/audit?limit=1");
    accountId = audit.account_id;
    sessionStorage.setItem(KEY_STORAGE, key);
    const el = $("account-status"); el.className = "message muted";
    text(el, `Account ${accountId}`);
    $("account-body").hidden = false;
    subscribeFills();
    await Promise.all([refreshMyAccount(), refreshMyOrders(), loadMyFills()]);
  } catch (e) {
    accountId = null;
    $("account-body").hidden = true;
    if (e.status === 401 || e.status === 403) {
      apiKey = null;
      sessionStorage.removeItem(KEY_STORAGE);
      accountError(`The key was not accepted: ${e.message}`);
    } else {
      // The server is busy, warming up or out of reach: keep the key and ask again.
      accountError(`Your account could not be loaded: ${e.message}. Trying again in 3 s.`);
      setTimeout(() => { if (apiKey === key && !accountId) { useKey(key); } }, 3000);
    }
  }
}

function accountShown() {
  const el = $("account-status");
  if (accountId && el.className !== "message muted") { el.className = "message muted"; text(el, `Account ${accountId}`); }
}

function forgetKey() {
  if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify({ type: "unsubscribe", channels: ["fills"] })); }
  apiKey = null; accountId = null; previewed = null;
  sessionStorage.removeItem(KEY_STORAGE);
  $("account-body").hidden = true; $("api-key").value = "";
  const el = $("account-status"); el.className = "message muted"; text(el, "No key: paste one to see your account and trade.");
}

async function refreshMyAccount() {
  if (!apiKey || !accountId) { return; }
  const asked = ++accountRefresh;
  try {
    const account = await api("GET", `/api/accounts/${encodeURIComponent(accountId)}`);
    if (asked !== accountRefresh) { return; }
    render(account);
    accountShown();
  } catch (e) { if (asked === accountRefresh) { accountError(e.message); } }
  function render(a) {
    if (!a) { return; }
    text($("my-equity"), fmt(a.equity));
    $("my-balances").innerHTML = a.balances.map(b => `<tr><td>${escapeHtml(b.currency)}</td><td>${fmt(b.total, 8)}</td><td>${fmt(b.available, 8)}</td><td>${fmt(b.hold, 8)}</td></tr>`).join("");
    $("my-positions").innerHTML = a.positions.map(p => {
      const u = p.unrealised_pnl == null ? null : Number(p.unrealised_pnl);
      return `<tr><td>${escapeHtml(p.product_id)}</td><td>${fmt(p.size, 8)}</td><td>${fmt(p.average_entry_price)}</td><td>${fmt(p.mark_price)}</td><td class="${u == null ? "" : u >= 0 ? "up" : "down"}">${fmt(u)}</td><td>${fmt(p.realised_pnl)}</td></tr>`;
    }).join("") || '<tr><td colspan="6" class="muted">no positions</td></tr>';
  }
}

const orderType = (o) => Object.keys(o.order_configuration)[0];
const TYPE_NAMES = { market_market_ioc: "market", limit_limit_gtc: "limit", limit_limit_gtd: "limit (until)", stop_limit_stop_limit_gtc: "stop-limit", trigger_bracket_gtc: "bracket" };
function orderRow(o, withCancel) {
  const c = Object.values(o.order_configuration)[0];
  const price = c.limit_price ? fmt(c.limit_price) + (c.stop_price ? ` stop ${fmt(c.stop_price)}` : "") + (c.stop_trigger_price ? ` sl ${fmt(c.stop_trigger_price)}` : "") : "market";
  const last = withCancel
    ? `<td><button type="button" class="cancel" data-order-id="${escapeHtml(o.order_id)}"${o.cancel_requested ? " disabled" : ""}>Cancel</button></td>`
    : `<td class="muted">${escapeHtml(o.reason || "")}</td>`;
  return `<tr data-order-id="${escapeHtml(o.order_id)}" data-status="${escapeHtml(o.status)}"><td>${timeOf(o.created_time)}</td><td>${escapeHtml(o.product_id)}</td><td class="${o.side === "BUY" ? "buy" : "sell"}">${escapeHtml(o.side)}</td><td>${TYPE_NAMES[orderType(o)] || escapeHtml(orderType(o))}</td><td>${escapeHtml(c.base_size || c.quote_size || "")}</td><td>${price}</td><td>${escapeHtml(o.filled_size)}</td><td class="status">${escapeHtml(o.status)}${o.trigger_status === "STOP_PENDING" ? " (stop pending)" : ""}</td>${last}</tr>`;
}

async function refreshMyOrders() {
  if (!apiKey || !accountId) { return; }
  try {
    const asked = ++ordersRefresh;
    const [open, recent] = await Promise.all([api("GET", "/api/orders?status=OPEN&limit=100"), api("GET", "/api/orders?limit=20")]);
    if (asked !== ordersRefresh) { return; }
    $("my-open-orders").innerHTML = open.orders.map(o => orderRow(o, true)).join("") || '<tr><td colspan="9" class="muted">no open orders</td></tr>';
    $("my-orders").innerHTML = recent.orders.map(o => orderRow(o, false)).join("") || '<tr><td colspan="9" class="muted">no orders yet</td></tr>';
  } catch (e) { accountError(e.message); }
}

const fills = [];
function renderFills() {
  $("my-fills").innerHTML = fills.map(f => `<tr><td>${timeOf(f.time)}</td><td>${escapeHtml(f.product_id)}</td><td class="${f.side === "BUY" ? "buy" : "sell"}">${escapeHtml(f.side)}</td><td>${escapeHtml(f.size)}</td><td>${fmt(f.price)}</td><td>${fmt(f.fee, 4)}</td><td>${escapeHtml(f.liquidity)}</td></tr>`).join("") || '<tr><td colspan="7" class="muted">no fills yet</td></tr>';
}
async function loadMyFills() {
  try {
    const trades = (await api("GET", "/api/trades?limit=20")).trades;
    fills.splice(0, fills.length, ...trades);
    renderFills();
  } catch (e) { accountError(e.message); }
}
function onFill(fill) {
  bump("fills");
  if (!fills.some(f => f.trade_id === fill.trade_id)) { fills.unshift(fill); if (fills.length > 50) { fills.pop(); } }
  renderFills();
  if (fill.product_id === PRODUCT) {
    addMarker(`my-fill-${fill.trade_id}`, { time: Math.floor(fill.time / 1000 / barSeconds) * barSeconds, position: fill.side === "BUY" ? "belowBar" : "aboveBar", color: "#bc8cff", shape: "square", text: `you ${fill.size}` });
  }
  refreshMyAccount(); refreshMyOrders();
}

// The ticket as Coinbase's create-order body.
function ticketRequest() {
  const type = $("ticket-type").value, side = $("ticket-side").value;
  const size = $("ticket-size").value.trim(), limit = $("ticket-limit").value.trim();
  let configuration;
  if (type === "market") {
    configuration = { market_market_ioc: { base_size: size } };
  } else if (type === "limit") {
    configuration = { limit_limit_gtc: { base_size: size, limit_price: limit } };
  } else if (type === "stop_limit") {
    configuration = { stop_limit_stop_limit_gtc: { base_size: size, limit_price: limit, stop_price: $("ticket-stop").value.trim(), stop_direction: $("ticket-stop-direction").value } };
  } else {
    configuration = { trigger_bracket_gtc: { base_size: size, limit_price: limit, stop_trigger_price: $("ticket-trigger").value.trim() } };
  }
  return { product_id: PRODUCT, side, order_configuration: configuration };
}

function showTicketFields() {
  const type = $("ticket-type").value;
  for (const el of document.querySelectorAll("#ticket [data-for]")) { el.hidden = !el.dataset.for.split(" ").includes(type); }
}

function ticketChanged() {
  previewed = null;
  $("ticket-place").disabled = true;
  $("ticket-preview-result").innerHTML = "";
  text($("ticket-message"), "");
}

async function previewTicket() {
  const request = ticketRequest();
  try {
    const preview = (await api("POST", "/api/orders/preview", request)).preview;
    const rows = [
      ["Would be accepted", preview.accepted ? '<span class="up">yes</span>' : '<span class="down">no</span>'],
      ["Exchange rules, balance, oversight limits", preview.rejection ? `<span class="down">${escapeHtml(preview.rejection.code)}: ${escapeHtml(preview.rejection.message)}</span>` : '<span class="up">pass</span>'],
      ["Circuit breaker", escapeHtml(preview.breaker)],
      ["Notional", fmt(preview.notional)],
      ["Estimated fee (taker rate)", fmt(preview.estimated_fee, 4)],
      ["Reserves", preview.hold_amount ? `${fmt(preview.hold_amount, 8)} ${escapeHtml(preview.hold_currency || "")}` : "–"],
      ["Last price", fmt(preview.last_price)],
    ];
    $("ticket-preview-result").innerHTML = rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join("");
    previewed = preview.accepted ? { body: JSON.stringify(request), clientOrderId: newClientOrderId() } : null;
    $("ticket-place").disabled = !preview.accepted;
    if (preview.accepted) { showMessage("ticket-message", "Preview passed: check it, then place the order.", true); }
    else { showMessage("ticket-message", "The order would be refused: change the ticket and preview again.", false); }
  } catch (e) {
    previewed = null; $("ticket-place").disabled = true;
    showMessage("ticket-message", e.message, false);
  }
}

async function placeTicket(event) {
  event.preventDefault();
  const request = ticketRequest();
  if (!previewed || previewed.body !== JSON.stringify(request)) { showMessage("ticket-message", "Preview the order before placing it.", false); return; }
  // The same id on a retry: if the first attempt reached the server, the API answers with
  // that order instead of placing a second one.
  request.client_order_id = previewed.clientOrderId;
  $("ticket-place").disabled = true;
  try {
    const order = (await api("POST", "/api/orders", request)).order;
    previewed = null;
    $("ticket-preview-result").innerHTML = "";
    showMessage("ticket-message", `Placed order ${order.order_id}: ${order.status}${order.reason ? " (" + order.reason + ")" : ""}`, order.status !== "FAILED");
    await Promise.all([refreshMyOrders(), refreshMyAccount()]);
  } catch (e) {
    showMessage("ticket-message", e.message, false);
    $("ticket-place").disabled = false;
  }
}

async function cancelOrder(orderId, button) {
  button.disabled = true;
  try {
    const order = (await api("DELETE", `/api/orders/${encodeURIComponent(orderId)}`)).order;
    showMessage("ticket-message", `Cancelled order ${order.order_id}: ${order.status}`, true);
  } catch (e) {
    showMessage("ticket-message", e.message, false);
    button.disabled = false;
  }
  await Promise.all([refreshMyOrders(), refreshMyAccount()]);
}

// An operator's action, after an in-page confirmation.
function confirmThen(question, action) {
  const dialog = $("confirm");
  text($("confirm-text"), question);
  $("confirm-yes").onclick = () => { dialog.close(); action(); };
  $("confirm-no").onclick = () => dialog.close();
  dialog.showModal();
}

async function operator(path, done) {
  try {
    const answer = await api("POST", path);
    showMessage("admin-message", done(answer), true);
    await refreshSwarm();
  } catch (e) { showMessage("admin-message", e.message, false); }
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("api-key").value.trim();
  if (!key) { accountError("Paste an API key first."); return; }
  useKey(key);
});
$("key-forget").addEventListener("click", forgetKey);
for (const id of ["ticket-side", "ticket-type", "ticket-size", "ticket-limit", "ticket-stop", "ticket-stop-direction", "ticket-trigger"]) {
  $(id).addEventListener("input", ticketChanged);
}
$("ticket-type").addEventListener("change", showTicketFields);
$("ticket-preview").addEventListener("click", previewTicket);
$("ticket").addEventListener("submit", placeTicket);
$("my-open-orders").addEventListener("click", (event) => {
  const button = event.target.closest("button.cancel");
  if (button) { cancelOrder(button.dataset.orderId, button); }
});
$("admin-resume").addEventListener("click", () => confirmThen("Resume the swarm? It starts placing orders again at the next bar.",
  () => operator("/api/swarm/resume", (a) => a.halted ? "The swarm is still halted." : "The swarm is resumed.")));
$("admin-reset").addEventListener("click", () => confirmThen("Reset the drawdown breaker? The drawdown is measured from the equity now.",
  () => operator("/api/swarm/drawdown/reset", (a) => `The drawdown peak is reset to ${fmt(a.peak)} (was ${fmt(a.previous_peak)}).`)));
$("admin-halt").addEventListener("click", () => confirmThen("Halt the swarm now? It stops placing orders until resumed.",
  () => operator("/api/swarm/shutdown", (a) => a.halted ? "The swarm is halted." : "The swarm is not halted.")));

showTicketFields();
connect();
loadHistory();
refreshSwarm();
setInterval(refreshSwarm, 2000);
refreshMemory();
setInterval(refreshMemory, 5000);
setInterval(() => { refreshMyAccount(); refreshMyOrders(); }, 2000);
if (apiKey) { $("api-key").value = ""; useKey(apiKey); }
