import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { CapturedChange } from '../runtime/index.js';

/**
 * One reader run's publishes, chained: each change goes out with its position as message id and
 * the previous change's position as `Nats-Expected-Last-Msg-Id`, so JetStream appends a change
 * only right after the one before it. A publish whose answer was lost (a NATS server dies) can
 * then never leave a hole that later changes are appended behind, which every node's position
 * filter would have made permanent (the chaos run lost two changes so). The first failure
 * breaks the chain: later publishes of the run are refused unsent, the reader restarts from its
 * last acknowledged transaction, and the next run starts from the stream's tail again, where a
 * change at or before the tail is in the stream already and is not sent again (JetStream checks
 * a repeated message id before the expectation, but only within its duplicate window).
 * Publishes are pipelined: they are sent in order without waiting for each other's answers.
 */
export class PublishChain {
  private tail: Promise<string | undefined>;
  private broken: { error: unknown } | undefined;

  constructor(
    private readonly js: JetStreamClient,
    jsm: JetStreamManager,
    stream: string,
    private readonly subject: string,
  ) {
    this.tail = jsm.streams.getMessage(stream, { last_by_subj: subject }).then((m) => m?.header.get('Nats-Msg-Id') || undefined);
    // Its failure reaches the caller through each publish's answer; the tail itself is never awaited.
    this.tail.catch(() => undefined);
  }

  /** One transaction's changes; resolves once JetStream has them all. */
  publish(changes: readonly CapturedChange[]): Promise<void> {
    if (this.broken) return Promise.reject(this.broken.error);
    const sent = changes.map((change) => {
      const after = this.tail;
      const answer = after.then((last) =>
        last !== undefined && change.pos <= last ? undefined : this.js.publish(this.subject, JSON.stringify(change), { msgID: change.pos, ...(last === undefined ? {} : { expect: { lastMsgID: last } }) }),
      );
      this.tail = after.then((last) => (last !== undefined && change.pos <= last ? last : change.pos));
      this.tail.catch(() => undefined);
      return answer;
    });
    const all = Promise.all(sent).then(() => undefined);
    all.catch((error: unknown) => void (this.broken ??= { error }));
    return all;
  }
}

