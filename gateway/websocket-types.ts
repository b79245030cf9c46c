/**
 * WebSockets on the node's HTTP server, without importing uWebSockets.js (only
 * http-server.ts does). Topics use uWS's built-in pub/sub: one `publish` reaches every
 * subscribed socket of this process without a JS loop, which is what high fan-out needs.
 */
export interface Socket<Data = Record<string, unknown>> {
  readonly id: string;
  readonly ip: string;
  /** Per-connection state the handler keeps. */
  readonly data: Data;
  /** 'sent' | 'queued' (backpressure building) | 'dropped' (over the backpressure limit). */
  send(text: string): 'sent' | 'queued' | 'dropped';
  subscribe(topic: string): void;
  /** Publishes to a topic's subscribers in this process, leaving this socket out (a sender never hears itself). */
  publish(topic: string, text: string): void;
  unsubscribe(topic: string): void;
  close(code?: number, reason?: string): void;
  bufferedBytes(): number;
}

export interface UpgradeRequest {
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  ip: string;
}

export interface WebSocketRoute<Data = Record<string, unknown>> {
  /** uWS URL pattern, e.g. `/app/:key`. */
  pattern: string;
  maxPayloadBytes?: number;
  /** Seconds without traffic before the server closes the socket (uWS rounds to ~4 s). */
  idleTimeoutSeconds?: number;
  maxBackpressureBytes?: number;
  /** Decide whether to accept, and the connection's initial data; throw a MoboError to refuse. */
  upgrade?(req: UpgradeRequest, params: Record<string, string>): Data | Promise<Data>;
  open?(socket: Socket<Data>): void;
  message?(socket: Socket<Data>, text: string): void;
  close?(socket: Socket<Data>, code: number): void;
}

/** Publishes to every socket of this process subscribed to the topic. */
export interface TopicPublisher {
  publish(topic: string, text: string): void;
  subscribers(topic: string): number;
}
