// The ticket-sale scenario for k6: each VU loops GET /categories -> POST /orders -> (3 in 4 VUs) a signed
// Midtrans settlement callback. loadtest/LoadGenerator runs the same scenario without k6.
//   k6 run -e VUS=1000 -e DURATION=30s -e BASE_URL=http://127.0.0.1:8080 -e SERVER_KEY=loadtest-server-key loadtest/main.js
import http from 'k6/http';
import { check } from 'k6';
import crypto from 'k6/crypto';
import { Counter } from 'k6/metrics';

const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const SERVER_KEY = __ENV.SERVER_KEY || 'loadtest-server-key';
const EMAILS = parseInt(__ENV.EMAILS || '100000', 10);

const ordersCreated = new Counter('orders_created');
const alreadyOrdered = new Counter('orders_already_ordered');
const soldOut = new Counter('orders_sold_out');
const callbacksSent = new Counter('callbacks_sent');

const JSON_HEADERS = { 'Content-Type': 'application/json' };

export const options = {
  scenarios: {
    sale: {
      executor: 'constant-vus',
      vus: parseInt(__ENV.VUS || '1000', 10),
      duration: __ENV.DURATION || '30s',
    },
  },
  summaryTrendStats: ['avg', 'p(75)', 'p(90)', 'p(95)'],
  // Empty thresholds make k6 print each request type's own line in the summary.
  thresholds: {
    'http_req_duration{name:categories}': [],
    'http_req_duration{name:order}': [],
    'http_req_duration{name:callback}': [],
    'http_req_failed{name:categories}': [],
    'http_req_failed{name:order}': [],
    'http_req_failed{name:callback}': [],
    'http_reqs{name:categories}': [],
    'http_reqs{name:order}': [],
    'http_reqs{name:callback}': [],
  },
};

// 409 (already_ordered, sold_out) is an expected answer in a sale, not a failure.
http.setResponseCallback(http.expectedStatuses(200, 201, 409));

function randomInt(max) {
  return Math.floor(Math.random() * max);
}

// Any UUID will do for Midtrans's transaction_id; k6 has no built-in one without a remote jslib.
function uuidv4() {
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const r = randomInt(16);
    return (c === 'x' ? r : (r & 0x3) | 0x8).toString(16);
  });
}

// Midtrans writes times in Jakarta time (UTC+7) as 'yyyy-MM-dd HH:mm:ss'.
function jakartaTime() {
  return new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

function jsonField(res, path) {
  try {
    return res.json(path);
  } catch (e) {
    return undefined;
  }
}

export default function () {
  const categoriesRes = http.get(`${BASE_URL}/categories`, { tags: { name: 'categories' } });
  check(categoriesRes, { 'categories 200': (r) => r.status === 200 });
  const categories = categoriesRes.status === 200 ? jsonField(categoriesRes, 'data') : undefined;
  if (!Array.isArray(categories) || categories.length === 0) {
    return;
  }

  // When every category is at 0 the sale is sold out: order anyway and expect 409 sold_out.
  const available = categories.filter((c) => c.total > 0);
  const pool = available.length > 0 ? available : categories;
  const category = pool[randomInt(pool.length)];

  // Same as drawing from a list of EMAILS generated addresses, without a copy of it in every VU.
  const email = `fan${randomInt(EMAILS)}@loadtest.example`;
  const orderRes = http.post(
    `${BASE_URL}/orders`,
    JSON.stringify({ email: email, category_id: category.id }),
    { headers: JSON_HEADERS, tags: { name: 'order' } },
  );
  check(orderRes, { 'order 201 or 409': (r) => r.status === 201 || r.status === 409 });

  if (orderRes.status === 409) {
    const code = jsonField(orderRes, 'code');
    if (code === 'already_ordered') {
      alreadyOrdered.add(1);
    } else if (code === 'sold_out') {
      soldOut.add(1);
    }
    return;
  }

  if (orderRes.status !== 201) {
    return;
  }

  const order = jsonField(orderRes, 'data');
  if (!order || !order.id) {
    return;
  }

  ordersCreated.add(1);

  // One VU in four leaves its order unpaid, so the hold expires.
  if (__VU % 4 === 0) {
    return;
  }

  const statusCode = '200';
  const grossAmount = `${order.total}.00`;
  const now = jakartaTime();
  const notification = {
    order_id: order.id,
    transaction_id: uuidv4(),
    transaction_status: 'settlement',
    status_code: statusCode,
    gross_amount: grossAmount,
    signature_key: crypto.sha512(order.id + statusCode + grossAmount + SERVER_KEY, 'hex'),
    fraud_status: 'accept',
    payment_type: 'bank_transfer',
    transaction_time: now,
    settlement_time: now,
    currency: 'IDR',
    merchant_id: 'G000000000',
    status_message: 'midtrans payment notification',
  };

  callbacksSent.add(1);
  const callbackRes = http.post(`${BASE_URL}/payments/callback`, JSON.stringify(notification), {
    headers: JSON_HEADERS,
    tags: { name: 'callback' },
  });
  check(callbackRes, { 'callback 200': (r) => r.status === 200 });
}
