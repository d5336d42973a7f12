// The fan's page: categories, the waiting room (when the sale has one), the order and its payment.
// Plain JavaScript, no build step; the page's Content-Security-Policy allows only this file and app.css.
'use strict';

const $ = (id) => document.getElementById(id);

// Every problem code the API answers with, as a sentence for a fan.
const MESSAGES = {
  validation_failed: 'Please check your email address: it should look like name@example.com.',
  invalid_json: 'Something went wrong sending your request. Please reload the page and try again.',
  unsupported_media_type: 'Something went wrong sending your request. Please reload the page and try again.',
  payload_too_large: 'That is too long. Please check your email address.',
  unknown_category: 'That ticket category does not exist any more. Please pick another one.',
  already_ordered: 'This email already has a ticket order. Only one ticket per email.',
  sold_out: 'Sorry, this category has just sold out. Please pick another one; seats come back when unpaid orders expire.',
  idempotency_key_reused: 'Something went wrong with your order. Please try again.',
  payment_unavailable: 'We could not set up your bank payment just now, and your seat was released. Please try again in a moment.',
  dependency_unavailable: 'We are very busy right now. Please try again in a few seconds.',
  categories_unavailable: 'We cannot show the tickets just now. Please try again in a few seconds.',
  overloaded: 'We are very busy right now. Please try again in a few seconds.',
  rate_limited: 'Too many attempts. Please wait a minute and try again.',
  unknown_order: 'We cannot find this order.',
  invalid_signature: 'This payment notice was not accepted.',
  amount_mismatch: 'This payment notice was not accepted: the amount is not the order\'s.',
  admission_required: 'Your turn to order is missing or has ended. Please join the queue again.',
  admission_mismatch: 'Please order with the same email you used to join the queue.',
  sale_not_open: 'The sale has not opened yet. Join the queue and you will be let in when it opens.',
  queue_disabled: 'This sale has no queue: you can order straight away.',
  unknown_queue_entry: 'We cannot find your place in the queue. Please join again.',
  not_found: 'Something went wrong on our side. Please reload the page.',
  method_not_allowed: 'Something went wrong on our side. Please reload the page.',
  internal_error: 'Something went wrong on our side. Please try again.',
};
const OFFLINE = 'We cannot reach the ticket shop. Please check your connection and try again.';

const state = { categories: [], queue: null, entry: null, token: null, email: null, order: null, timers: {} };

function rupiah(amount) {
  return 'Rp ' + Number(amount).toLocaleString('id-ID');
}

function show(el, visible) { el.hidden = !visible; }

function say(text, kind) {
  const m = $('message');
  m.textContent = text || '';
  m.className = 'message' + (kind === 'info' ? ' info' : '');
  show(m, Boolean(text));
}

function problemText(problem, status) {
  if (problem && MESSAGES[problem.code]) {
    if (problem.code === 'validation_failed' && problem.errors && problem.errors.email) {
      return 'Please check your email address: ' + problem.errors.email[0];
    }
    return MESSAGES[problem.code];
  }
  if (status === 429) return MESSAGES.rate_limited;
  if (status >= 500) return MESSAGES.dependency_unavailable;
  return MESSAGES.internal_error;
}

// fetch that never throws: { ok, status, data, problem, retryAfter }.
async function api(method, path, body, headers) {
  try {
    const response = await fetch(path, {
      method,
      headers: Object.assign(body ? { 'Content-Type': 'application/json' } : {}, headers || {}),
      body: body ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    });
    let json = null;
    try { json = await response.json(); } catch (e) { json = null; }
    const retryAfter = Number(response.headers.get('Retry-After')) || 0;
    if (response.ok) return { ok: true, status: response.status, data: json && json.data, retryAfter };
    return { ok: false, status: response.status, problem: json, retryAfter };
  } catch (e) {
    return { ok: false, status: 0, offline: true };
  }
}

function failure(result) { return result.offline ? OFFLINE : problemText(result.problem, result.status); }

function randomKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function later(name, seconds, fn) {
  clearTimeout(state.timers[name]);
  state.timers[name] = setTimeout(fn, Math.max(1, seconds) * 1000);
}

async function loadCategories() {
  const result = await api('GET', '/categories');
  if (!result.ok) {
    $('categories-loading').textContent = failure(result);
    later('categories', result.retryAfter || 3, loadCategories);
    return;
  }
  show($('categories-loading'), false);
  const selected = selectedCategory();
  state.categories = result.data;
  const list = $('categories');
  list.replaceChildren();
  for (const c of state.categories) {
    const li = document.createElement('li');
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'category';
    input.value = String(c.id);
    input.id = 'category-' + c.id;
    input.disabled = c.total === 0;
    input.checked = selected === c.id && c.total > 0;
    const text = document.createElement('span');
    text.className = 'cat';
    const name = document.createElement('span');
    name.textContent = c.name;
    const price = document.createElement('span');
    price.textContent = rupiah(c.price);
    const left = document.createElement('span');
    left.className = 'left' + (c.total === 0 ? ' none' : '');
    left.textContent = c.total === 0 ? 'Sold out for now' : c.total.toLocaleString('en') + ' seats left';
    text.append(name, price, left);
    label.append(input, text);
    li.append(label);
    list.append(li);
  }
  if (!state.order) later('categories', 10, loadCategories);
}

function selectedCategory() {
  const checked = document.querySelector('input[name=category]:checked');
  return checked ? Number(checked.value) : null;
}

async function start() {
  $('join-form').addEventListener('submit', join);
  $('order-form').addEventListener('submit', order);
  loadCategories();
  const saved = JSON.parse(localStorage.getItem('concert-ticket') || '{}');
  if (saved.order) {
    state.email = saved.email;
    followOrder(saved.order);
    return;
  }
  const queue = await api('GET', '/queue');
  if (!queue.ok && queue.problem && queue.problem.code === 'queue_disabled') {
    openOrderForm(null);
    return;
  }
  if (!queue.ok) {
    say(failure(queue));
    later('start', queue.retryAfter || 3, start);
    return;
  }
  state.queue = queue.data;
  show($('queue-section'), true);
  $('queue-intro').textContent = queue.data.sold_out
    ? 'Every ticket has been sold.'
    : queue.data.open
      ? 'Join the queue with your email; you will be let in to order in turn.'
      : 'The sale opens at ' + new Date(queue.data.opens_at).toLocaleString() +
        '. Join now: everyone who joins before the opening gets a random place in the queue at the opening, so there is no need to rush.';
  if (saved.entry) {
    state.email = saved.email;
    state.entry = saved.entry;
    show($('join-form'), false);
    poll();
  }
}

function remember() {
  localStorage.setItem('concert-ticket', JSON.stringify({ email: state.email, entry: state.entry, order: state.order && state.order.id }));
}

async function join(event) {
  event.preventDefault();
  say('');
  const email = $('join-email').value.trim();
  $('join-button').disabled = true;
  const result = await api('POST', '/queue', { email });
  $('join-button').disabled = false;
  if (!result.ok) { say(failure(result)); return; }
  state.email = email;
  state.entry = result.data.id;
  remember();
  show($('join-form'), false);
  showEntry(result.data);
}

async function poll() {
  const result = await api('GET', '/queue/' + state.entry);
  if (!result.ok) {
    if (result.problem && result.problem.code === 'unknown_queue_entry') {
      state.entry = null;
      remember();
      show($('join-form'), true);
      show($('queue-status'), false);
    } else {
      later('queue', result.retryAfter || 5, poll);
    }
    say(failure(result));
    return;
  }
  say('');
  showEntry(result.data);
}

function showEntry(entry) {
  const card = $('queue-status');
  if (card.hidden) { show(card, true); card.scrollIntoView({ block: 'center' }); }
  const headline = $('queue-headline');
  const detail = $('queue-detail');
  switch (entry.status) {
    case 'waiting': {
      headline.textContent = entry.position === 1 ? 'You are next in line' : 'You are number ' + entry.position.toLocaleString('en') + ' in line';
      const minutes = Math.ceil((entry.estimated_wait_seconds || 0) / 60);
      detail.textContent = entry.ahead.toLocaleString('en') + ' fans ahead of you. ' +
        (minutes <= 1 ? 'About a minute to go.' : 'About ' + minutes + ' minutes to go.') + ' Keep this page open.';
      later('queue', entry.poll_after_seconds, poll);
      break;
    }
    case 'admitted':
      headline.textContent = 'It is your turn!';
      detail.textContent = 'Order before ' + new Date(entry.admitted_until).toLocaleTimeString() + '.';
      if (entry.admission_token) {
        state.token = entry.admission_token;
        openOrderForm(state.email);
      }
      break;
    case 'sold_out':
      headline.textContent = 'Sold out';
      detail.textContent = 'Sorry, every ticket has been sold. Thank you for waiting.';
      break;
    case 'expired':
      headline.textContent = 'Your turn has passed';
      detail.textContent = 'You did not order in time, so your turn went to the next fan.';
      break;
  }
}

function openOrderForm(email) {
  show($('order-section'), true);
  $('order-section').scrollIntoView({ block: 'start' });
  const input = $('order-email');
  if (email) {
    input.value = email;
    input.readOnly = true;
    $('order-intro').textContent = 'Pick a category above, then order. Your ticket is for ' + email + '.';
  } else {
    $('order-intro').textContent = 'Pick a category above, enter your email and order.';
  }
}

async function order(event) {
  event.preventDefault();
  say('');
  const categoryId = selectedCategory();
  if (!categoryId) { say('Please pick a ticket category first.'); return; }
  const email = $('order-email').value.trim();
  const headers = { 'Idempotency-Key': randomKey() };
  if (state.token) headers['Admission-Token'] = state.token;
  $('order-button').disabled = true;
  const result = await api('POST', '/orders', { email, category_id: categoryId }, headers);
  $('order-button').disabled = false;
  if (!result.ok) {
    say(failure(result));
    if (result.problem && result.problem.code === 'sold_out') loadCategories();
    return;
  }
  state.email = email;
  showOrder(result.data);
}

async function followOrder(id) {
  const result = await api('GET', '/orders/' + id);
  if (!result.ok) {
    if (result.status === 404) { localStorage.removeItem('concert-ticket'); say(failure(result)); return; }
    later('order', result.retryAfter || 3, () => followOrder(id));
    return;
  }
  showOrder(result.data);
}

function showOrder(o) {
  state.order = o;
  remember();
  show($('queue-section'), false);
  show($('order-section'), false);
  show($('categories-section'), false);
  show($('payment-section'), true);
  $('pay-order').textContent = o.id;
  $('pay-bank').textContent = (o.bank || '').toUpperCase() || '…';
  $('pay-va').textContent = o.va_code || 'being created…';
  $('pay-amount').textContent = rupiah(o.total);
  $('pay-seat').textContent = o.seat ? 'Row ' + o.seat.row + ', seat ' + o.seat.column : '–';
  const labels = { pending: 'Waiting for your payment', paid: 'Paid', expired: 'Expired: not paid in time',
    cancelled: 'Cancelled', refund_required: 'Paid too late: you will be refunded' };
  $('pay-status').textContent = labels[o.status] || o.status;
  clearInterval(state.timers.countdown);
  if (o.status === 'pending') {
    tick();
    state.timers.countdown = setInterval(tick, 1000);
    later('order', 3, () => followOrder(o.id));
  } else {
    $('pay-countdown').textContent = '';
  }
  const done = $('pay-done');
  show(done, o.status === 'paid');
  done.textContent = o.status === 'paid' ? 'Paid! Your ticket is confirmed.' : '';
  // GET /orders/{id} has a ticket once the ticket is issued; before that, nothing is shown.
  if (o.ticket && o.ticket.code) {
    $('ticket-qr').src = '/tickets/' + encodeURIComponent(o.ticket.code) + '/qr.svg';
    $('ticket-code').textContent = o.ticket.code;
    show($('ticket'), true);
  } else {
    show($('ticket'), false);
    if (o.status === 'paid') later('order', 5, () => followOrder(o.id));
  }
}

function tick() {
  const left = Math.max(0, Math.floor((new Date(state.order.expires_at) - Date.now()) / 1000));
  const m = Math.floor(left / 60), s = left % 60;
  $('pay-countdown').textContent = left > 0
    ? 'Pay within ' + m + ':' + String(s).padStart(2, '0') + ' or the seat goes back on sale.'
    : 'The time to pay has ended.';
}

start();
