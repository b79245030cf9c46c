/**
 * A question to every MagWS hub of the cluster: the asker answers it from its own node,
 * sends it to the others (`rt.<kind>.q`), each answers from its node (`rt.<kind>.r`), and
 * the asker has every live hub's answer (or what came when `timeoutMs` passed).
 */
import { randomBytes } from 'node:crypto';
import type { ClusterLink, LinkMessage } from './cluster-link.js';
import type { Peers } from './peers.js';

interface Question<Q> extends LinkMessage {
  id: string;
  q: Q;
}
interface Answer<A> extends LinkMessage {
  id: string;
  to: string;
  a: A;
}

export class ClusterQuery<Q, A> {
  private readonly waiting = new Map<string, (answer: Answer<A>) => void>();

  constructor(
    private readonly link: ClusterLink,
    private readonly peers: Peers,
    private readonly kind: string,
    private readonly local: (question: Q) => A,
    private readonly timeoutMs = 1_000,
  ) {
    link.on<Question<Q>>(`${kind}.q`, (m) => link.send(`${kind}.r`, { id: m.id, to: m.n, a: local(m.q) }));
    link.on<Answer<A>>(`${kind}.r`, (r) => {
      if (r.to === link.nodeId) this.waiting.get(r.id)?.(r);
    });
  }

  /** This node's answer first, then one per other live hub that answered in time. */
  async ask(question: Q): Promise<A[]> {
    const answers = [this.local(question)];
    const expected = new Set(this.peers.live().filter((n) => n !== this.link.nodeId));
    if (expected.size === 0) return answers;
    const id = randomBytes(8).toString('hex');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiting.set(id, (answer) => {
        if (!expected.delete(answer.n)) return;
        answers.push(answer.a);
        if (expected.size === 0) done();
      });
      this.link.send(`${this.kind}.q`, { id, q: question });
    });
    this.waiting.delete(id);
    return answers;
  }
}
