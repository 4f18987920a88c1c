// The admin API as the page uses it: every call carries the signed-in key; errors become
// ApiError with the server's status and message.

const KEY = 'costgate.apiKey';

export class ApiError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

export const session = {
  get key() { return sessionStorage.getItem(KEY) || ''; },
  set key(k) { if (k) sessionStorage.setItem(KEY, k); else sessionStorage.removeItem(KEY); },
};

async function call(method, path, body, accept = 'application/json') {
  const headers = { authorization: `Bearer ${session.key}`, accept };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network_error', 'costgate cannot be reached');
  }
  if (!res.ok) {
    let type = 'http_error';
    let message = `${res.status} ${res.statusText}`;
    try {
      const e = (await res.json()).error;
      if (e) { type = e.type; message = e.message; }
    } catch { /* not JSON */ }
    throw new ApiError(res.status, type, message);
  }
  return accept === 'application/json' ? res.json() : res.text();
}

export const api = {
  profiles: () => call('GET', '/api/v1/profiles'),
  dashboards: () => call('GET', '/api/v1/dashboards'),
  dashboard: (name) => call('GET', `/api/v1/dashboards/${encodeURIComponent(name)}`),
  metrics: (body) => call('POST', '/api/v1/metrics/query', body),
  usage: (params) => call('GET', `/api/v1/usage?${new URLSearchParams(params)}`),
  usageCsv: (params) => call('GET', `/api/v1/usage?${new URLSearchParams({ ...params, format: 'csv' })}`, undefined, 'text/csv'),
  alarms: (params) => call('GET', `/api/v1/alarms${params ? `?${new URLSearchParams(params)}` : ''}`),
  alarmHistory: (name) => call('GET', `/api/v1/alarms/${encodeURIComponent(name)}/history?limit=20`),
};
