// The live dashboard: polls GET /admin/dashboard (one shared snapshot per instance, renewed at most once a second)
// with the key kept in this tab's session storage, and draws the chosen concert.
"use strict";

(() => {
  const KEY = "concert-ticket.admin-key";
  const PERIOD_MS = 1000;
  const $ = (id) => document.getElementById(id);
  const number = new Intl.NumberFormat("en-US");
  let timer = null;
  let selected = null;

  function text(tag, value, field) {
    const cell = document.createElement(tag);
    cell.textContent = value;
    if (field) cell.dataset.field = field;
    return cell;
  }

  function setStatus(message, kind) {
    $("status").textContent = message;
    $("status").className = "status " + (kind || "");
  }

  async function poll() {
    const key = sessionStorage.getItem(KEY);
    if (!key) return;
    try {
      const response = await fetch("/admin/dashboard", { headers: { Authorization: "Bearer " + key }, cache: "no-store" });
      if (response.status === 401) {
        sessionStorage.removeItem(KEY);
        stop();
        $("dashboard").hidden = true;
        $("key-form").hidden = false;
        setStatus("the key was refused", "error");
        return;
      }
      if (!response.ok) throw new Error("HTTP " + response.status);
      render(await response.json());
      setStatus("live", "live");
    } catch (e) {
      setStatus("cannot reach the service (" + e.message + "), retrying", "error");
    }
  }

  // The waiting room is the sale's, not a concert's: shown whatever concert is chosen, hidden without one.
  function renderQueue(queue) {
    $("waiting-room").hidden = !queue;
    if (!queue) return;
    if (!queue.available) {
      $("queue-state").textContent = "unavailable";
      return;
    }
    $("queue-waiting").textContent = number.format(queue.waiting);
    $("queue-admitted").textContent = number.format(queue.admitted);
    $("queue-rate").textContent = number.format(queue.admit_per_second);
    $("queue-state").textContent = queue.sold_out ? "sold out"
      : queue.opens_at && new Date(queue.opens_at) > new Date() ? "opens " + new Date(queue.opens_at).toLocaleTimeString()
      : "admitting";
  }

  function render(snapshot) {
    const select = $("concert");
    const concerts = snapshot.concerts;
    const ids = concerts.map((c) => String(c.concert_id));
    if (select.options.length !== ids.length || [...select.options].some((o, i) => o.value !== ids[i])) {
      select.replaceChildren(...concerts.map((c) => {
        const option = document.createElement("option");
        option.value = String(c.concert_id);
        option.textContent = c.name + " (#" + c.concert_id + ")";
        return option;
      }));
    }
    if (selected === null || !ids.includes(selected)) selected = ids[0] ?? null;
    select.value = selected ?? "";
    const concert = concerts.find((c) => String(c.concert_id) === selected);
    $("updated").textContent = new Date(snapshot.generated_at).toLocaleTimeString();
    renderQueue(snapshot.queue);
    if (!concert) return;
    $("state").textContent = concert.state.replace("_", " ");

    const totals = { paid: 0, checkedIn: 0, held: 0, free: 0, revenue: 0 };
    const rows = concert.categories.map((c) => {
      totals.paid += c.paid; totals.checkedIn += c.checked_in; totals.held += c.held; totals.free += c.free; totals.revenue += c.revenue;
      const row = document.createElement("tr");
      row.dataset.categoryId = String(c.id);
      const capacity = c.paid + c.held + c.free || 1;
      const bar = document.createElement("div");
      bar.className = "bar";
      for (const part of ["paid", "held", "free"]) {
        const span = document.createElement("span");
        span.className = part;
        span.style.width = (100 * c[part] / capacity) + "%";
        bar.append(span);
      }
      const barCell = document.createElement("td");
      barCell.append(bar);
      row.append(text("td", c.name, "name"), barCell, text("td", number.format(c.paid), "paid"),
        text("td", number.format(c.checked_in), "checked-in"), text("td", number.format(c.held), "held"), text("td", number.format(c.free), "free"),
        text("td", number.format(c.revenue), "revenue"));
      return row;
    });
    $("categories").tBodies[0].replaceChildren(...rows);
    $("total-paid").textContent = number.format(totals.paid);
    $("total-checked-in").textContent = number.format(totals.checkedIn);
    $("total-held").textContent = number.format(totals.held);
    $("total-free").textContent = number.format(totals.free);
    $("total-revenue").textContent = number.format(totals.revenue);
    $("refund-count").textContent = number.format(concert.refunds_to_make.length);
    $("refunds").tBodies[0].replaceChildren(...concert.refunds_to_make.map((r) => {
      const row = document.createElement("tr");
      row.append(text("td", r.order_id), text("td", r.email), text("td", number.format(r.total)),
        text("td", r.paid_at ? new Date(r.paid_at).toLocaleString() : ""));
      return row;
    }));
    drawChart(concert.per_minute, new Date(snapshot.generated_at));
  }

  function drawChart(points, now) {
    const canvas = $("chart");
    const g = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height, pad = 30, minutes = 15;
    g.clearRect(0, 0, w, h);
    const start = Math.floor(now.getTime() / 60000) - minutes + 1;
    const buckets = Array.from({ length: minutes }, () => ({ orders: 0, payments: 0 }));
    for (const p of points) {
      const i = Math.floor(new Date(p.minute).getTime() / 60000) - start;
      if (i >= 0 && i < minutes) buckets[i] = { orders: p.orders, payments: p.payments };
    }
    const max = Math.max(1, ...buckets.map((b) => Math.max(b.orders, b.payments)));
    g.strokeStyle = "#9ca3af";
    g.fillStyle = "#6b7280";
    g.font = "11px system-ui";
    g.beginPath(); g.moveTo(pad, h - pad); g.lineTo(w - 5, h - pad); g.stroke();
    g.fillText(String(max), 2, pad);
    g.fillText("0", 2, h - pad);
    const step = (w - pad - 10) / minutes;
    buckets.forEach((b, i) => {
      const x = pad + i * step;
      g.fillStyle = "#2563eb";
      g.fillRect(x + 2, h - pad - (h - 2 * pad) * b.orders / max, step / 2 - 3, (h - 2 * pad) * b.orders / max);
      g.fillStyle = "#15803d";
      g.fillRect(x + step / 2, h - pad - (h - 2 * pad) * b.payments / max, step / 2 - 3, (h - 2 * pad) * b.payments / max);
      if (i % 3 === 0) {
        g.fillStyle = "#6b7280";
        g.fillText("-" + (minutes - 1 - i) + "m", x + 2, h - pad + 14);
      }
    });
  }

  function start() {
    $("key-form").hidden = true;
    $("dashboard").hidden = false;
    stop();
    poll();
    timer = setInterval(poll, PERIOD_MS);
  }

  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
  }

  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("key").value.trim());
    $("key").value = "";
    start();
  });
  $("forget").addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    stop();
    $("dashboard").hidden = true;
    $("key-form").hidden = false;
    setStatus("not connected", "");
  });
  $("concert").addEventListener("change", (event) => {
    selected = event.target.value;
    poll();
  });
  if (sessionStorage.getItem(KEY)) start();
})();
