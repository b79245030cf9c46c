/**
 * Follows a JetStream stream from its tail, each message once, across the loss of NATS servers.
 *
 * nats.js's ordered consumer alone is not enough on a NATS cluster: it lives on one server (R1),
 * and when that server dies the consumer's client keeps its connection (to another server) but
 * gets nothing more — its missed-heartbeat handling only re-pulls from the dead consumer, and in
 * the chaos run (bench/chaos/) a node's subscribers then missed every change until the node
 * restarted. So the follower watches its consumer itself: when heartbeats are missed, or the
 * consumer's iteration ends while the follower is open, it closes that consumer and starts a new
 * one at the stream sequence after the last one it delivered (nothing skipped; repeats are the
 * caller's to drop, as the relay does by position).
 */
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JsMsg, type OrderedConsumerOptions } from '@nats-io/jetstream';

/** Heartbeats every second: a consumer gone with its server is noticed after two missed (~2 s). */
const IDLE_HEARTBEAT_MS = 1_000;
const EXPIRES_MS = 5_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;

export interface StreamFollower {
  close(): Promise<void>;
}

/** `afterSeq`: start after this stream sequence (a follower taking over from an earlier one); default the stream's tail. */
export async function followStream(js: JetStreamClient, stream: string, onMessage: (m: JsMsg) => void, opts: { afterSeq?: number; onError?: (err: unknown) => void } = {}): Promise<StreamFollower> {
  const onError = opts.onError ?? (() => undefined);
  let lastSeq = opts.afterSeq ?? 0;
  let closed = false;
  let current: ConsumerMessages | undefined;

  const open = async (): Promise<ConsumerMessages> => {
    const from: Partial<OrderedConsumerOptions> = lastSeq === 0 ? { deliver_policy: DeliverPolicy.New } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1 };
    const consumer = await js.consumers.get(stream, from);
    return consumer.consume({ idle_heartbeat: IDLE_HEARTBEAT_MS, expires: EXPIRES_MS });
  };

  /** Runs one consumer until it stalls or ends; resolves to say the follower must start another. */
  const run = (messages: ConsumerMessages): Promise<void> =>
    new Promise((stalled) => {
      void (async () => {
        for await (const status of messages.status()) if (status.type === 'heartbeats_missed') return stalled();
      })().catch(() => undefined);
      void (async () => {
        for await (const m of messages) {
          lastSeq = m.seq;
          onMessage(m);
        }
      })()
        .catch(onError)
        .finally(() => stalled());
    });

  const loop = async (first: ConsumerMessages): Promise<void> => {
    let messages: ConsumerMessages | undefined = first;
    let backoff = RETRY_MIN_MS;
    while (!closed) {
      if (messages) {
        current = messages;
        await run(messages);
        await messages.close().catch(() => undefined);
        messages = undefined;
        if (closed) return;
      }
      try {
        messages = await open();
        backoff = RETRY_MIN_MS;
        if (closed) await messages.close().catch(() => undefined);
      } catch (err) {
        // No JetStream answer yet (a server or the stream's leader is moving): try again shortly.
        onError(err);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(RETRY_MAX_MS, backoff * 2);
      }
    }
  };

  // The first consumer is made before this resolves, so a caller knows it is following from here on.
  const running = loop(await open());
  return {
    async close() {
      closed = true;
      await current?.close().catch(() => undefined);
      await running;
    },
  };
}
