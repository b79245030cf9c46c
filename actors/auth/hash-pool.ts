import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Password hashing on a pool of worker threads, one per core (or `auth.hashWorkers`).
 *
 * Why not node's async scrypt: it runs on libuv's shared pool (4 threads by default), the
 * same threads that serve file system calls, DNS lookups and gzip. A burst of logins
 * (32 MiB, tens of ms each) would fill it and stall all of those; and 4 threads on 2 cores
 * only add switching. Here, hashing has threads of its own, as many as there are cores, and
 * a queue in front: 200 logins take about 200 × one hash ÷ cores, and nothing else waits.
 *
 * The worker is inline source (eval), so the bundled CLI and the test runner need no extra
 * file on disk.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
parentPort.on('message', (job) => {
  try {
    const key = scryptSync(job.password, Buffer.from(job.salt), job.keyBytes, job.options);
    parentPort.postMessage({ id: job.id, key });
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String((err && err.message) || err) });
  }
});
`;

export interface ScryptJob {
  password: string;
  salt: Buffer;
  keyBytes: number;
  options: { N: number; r: number; p: number; maxmem: number };
}

interface Pending {
  job: ScryptJob & { id: number };
  resolve(key: Buffer): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  busy: Pending | undefined;
}

export class HashPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private seq = 0;

  constructor(readonly size: number) {}

  scrypt(job: ScryptJob): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { ...job, id: this.seq++ }, resolve, reject });
      this.pump();
    });
  }

  /** Ends the threads (they are unref'd: an idle pool never keeps a process alive). */
  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => !s.busy) ?? (this.slots.length < this.size ? this.spawn() : undefined);
      if (!slot) return;
      const next = this.queue.shift()!;
      slot.busy = next;
      slot.worker.postMessage(next.job);
    }
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(WORKER_SOURCE, { eval: true }), busy: undefined };
    slot.worker.unref();
    slot.worker.on('message', (msg: { id: number; key?: Uint8Array; error?: string }) => {
      const done = slot.busy;
      slot.busy = undefined;
      if (done && done.job.id === msg.id) {
        if (msg.key) done.resolve(Buffer.from(msg.key));
        else done.reject(new Error(msg.error ?? 'scrypt failed'));
      }
      this.pump();
    });
    slot.worker.on('error', (err) => {
      // A thread that died takes its job with it; the next job gets a new thread.
      this.slots.splice(this.slots.indexOf(slot), 1);
      slot.busy?.reject(err);
      this.pump();
    });
    this.slots.push(slot);
    return slot;
  }
}

let shared: HashPool | undefined;
let configured = 0;

/** Sets the pool's size before its first use (`auth.hashWorkers`; 0 = one thread per core). */
export function setHashWorkers(workers: number): void {
  configured = workers;
}

/** The process's pool: every in-process node shares the cores. Sized at first use. */
export function hashPool(): HashPool {
  shared ??= new HashPool(configured > 0 ? configured : availableParallelism());
  return shared;
}
