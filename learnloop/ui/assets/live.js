// A small graphql-transport-ws client: one socket, many subscriptions, reconnects with backoff.

const PROTOCOL = 'graphql-transport-ws';

export class LiveClient {
  /**
   * @param {() => string|null} token  read on every (re)connect
   * @param {(state: 'connecting'|'live'|'offline'|'refused', detail?: string) => void} onState
   */
  constructor(token, onState = () => {}) {
    this.token = token;
    this.onState = onState;
    this.subs = new Map();
    this.nextId = 1;
    this.socket = null;
    this.retry = 0;
    this.closed = false;
    this.onReconnect = () => {};
  }

  url() {
    const url = new URL('/graphql', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.href;
  }

  connect() {
    if (this.closed || this.socket) return;
    this.onState('connecting');
    const socket = new WebSocket(this.url(), PROTOCOL);
    this.socket = socket;
    let acked = false;
    socket.addEventListener('open', () => {
      const token = this.token();
      socket.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} }));
    });
    socket.addEventListener('message', (event) => {
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      if (msg.type === 'connection_ack') {
        acked = true;
        const wasRetry = this.retry > 0;
        this.retry = 0;
        this.onState('live');
        for (const [id, sub] of this.subs) this.send(id, sub);
        if (wasRetry) this.onReconnect();
      } else if (msg.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      } else if (msg.type === 'next') {
        this.subs.get(msg.id)?.onNext(msg.payload);
      } else if (msg.type === 'error') {
        this.subs.get(msg.id)?.onError(msg.payload);
      } else if (msg.type === 'complete') {
        this.subs.delete(msg.id);
      }
    });
    socket.addEventListener('close', (event) => {
      this.socket = null;
      if (this.closed) return;
      // 4403/4401 (or a close before the ack): the token was refused; retrying will not help.
      if (event.code === 4403 || event.code === 4401 || (!acked && event.code >= 4400 && event.code < 4500)) {
        this.onState('refused', event.reason);
        return;
      }
      this.onState('offline');
      const delay = Math.min(30000, 500 * 2 ** this.retry++);
      setTimeout(() => this.connect(), delay);
    });
  }

  send(id, sub) {
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query: sub.query, variables: sub.variables } }));
    }
  }

  /** Subscribe; returns a function that unsubscribes. Survives reconnects. */
  subscribe(query, variables, onNext, onError = () => {}) {
    const id = String(this.nextId++);
    const sub = { query, variables, onNext, onError };
    this.subs.set(id, sub);
    this.connect();
    this.send(id, sub);
    return () => {
      this.subs.delete(id);
      if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ id, type: 'complete' }));
    };
  }

  close() {
    this.closed = true;
    this.socket?.close(1000);
  }
}
