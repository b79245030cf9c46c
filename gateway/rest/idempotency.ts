import { createHash, randomUUID } from 'node:crypto';
import { DataClient } from '../../actors/ds/protocol.js';
import { WRITE_RECORDS, WriteRecords, type Outcome, type RecordRef, type WriteRecord } from '../../actors/ds/write-records.js';
import type { HttpRequest, HttpResponse } from '../http-types.js';
import { restErrors } from './errors.js';
import type { RestWriteResult, Row } from '../../adapters/index.js';
import { isMoboError, MoboError } from '../../runtime/index.js';

export interface IdempotencySettings {
  ttlMs: number;
  inFlightMs: number;
}

/** The header's value: visible ASCII, as Stripe and the IETF draft use it. */
const KEY = /^[\x21-\x7e]{1,255}$/;
/** Claims tried before giving up on a key that others keep taking and freeing at once. */
const CLAIM_ATTEMPTS = 4;
export const REPLAYED_HEADER = 'idempotent-replayed';

/**
 * `Idempotency-Key` on REST writes. The first request with a key claims it in the control store
 * (write-records.ts) before its write is sent; the connection actor that runs the write records
 * its answer; a retry with the same key is answered from the record without writing again.
 *
 * What a retry with the same key gets, by how the first request went:
 * - answered (rows, or a definite error such as 409/422): that answer, replayed through the same
 *   handler (same status, headers and body; plus `Idempotent-Replayed: true`), never a second write;
 * - refused before its write was sent (bad body, not allowed, source unavailable): nothing is kept,
 *   the retry runs;
 * - still running, or its answer lost on the way back (the connection actor killed mid-write):
 *   409 IDEMPOTENCY_IN_PROGRESS with Retry-After until the write settles and is recorded by the
 *   actor's own code, then the replay. A retry does not wait in line for it: the first attempt may
 *   take up to `inFlightMs`, and holding the retry's connection that long helps nobody;
 * - the write's database connection broke after the statement went out (DS_OUTCOME_UNKNOWN):
 *   nobody can tell if it was applied, so every retry answers DS_OUTCOME_UNKNOWN too (read to
 *   find out, then write with a new key); it is never run a second time under this key.
 * - never recorded (its node died, kill -9 or power, between claiming and recording: before the
 *   write was sent, or after it committed): 409 IDEMPOTENCY_IN_PROGRESS until `inFlightMs` is
 *   over, then DS_OUTCOME_UNKNOWN as above, for good. Running it again could apply it twice (the
 *   chaos run did, before: three writes with two rows each).
 * Only a record past its whole window (`ttlMs`) is taken over by a new request. The same key with another request (method, path, query,
 * body, Prefer/Accept, or credentials) is 422 IDEMPOTENCY_KEY_REUSED. Keys are kept per
 * project, hashed, for `ttlMs`, and expired records are pruned.
 */
export class Idempotency {
  constructor(
    private readonly store: DataClient,
    private readonly records: WriteRecords,
    private readonly settings: () => IdempotencySettings,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs one REST write under the request's Idempotency-Key, if it has one. `handle` gets the
   * client its write must go through; `fail` renders an error the way the route does.
   */
  async run(req: HttpRequest, scope: { project: string; principal: string }, data: DataClient, handle: (data: DataClient) => Promise<HttpResponse>, fail: (err: unknown) => HttpResponse): Promise<HttpResponse> {
    const key = req.headers['idempotency-key'];
    if (key === undefined) return handle(data);
    if (!KEY.test(key)) throw restErrors.make.IDEMPOTENCY_KEY_INVALID(undefined, { details: { header: 'Idempotency-Key' } });
    await this.records.ensure();
    const id = sha256(`${scope.project}\n${key}`);
    const fingerprint = sha256(JSON.stringify([req.method, req.path, req.query.toString(), req.headers.prefer ?? '', req.headers.accept ?? '', scope.principal, req.body.toString('base64')]));
    const first = await this.claim(id, scope.project, fingerprint);
    if ('replay' in first) return replayed(await handle(new ReplayedWrite(data, first.replay)).catch(fail));
    try {
      return await handle(data.recordingTo(first.claim));
    } catch (err) {
      // A write cut off on its way back stays claimed: its actor records how it ended. Any other
      // failure either never sent the write (the claim is freed) or was recorded already (no-op).
      if (!isMoboError(err, 'DS_OUTCOME_UNKNOWN')) await this.records.release(first.claim).catch(() => undefined);
      throw err;
    }
  }

  /** Deletes records past their window; any node may run it. */
  async prune(): Promise<void> {
    await this.records.ensure();
    await this.store.delete(WRITE_RECORDS, { op: 'lt', column: 'expires_at', value: this.now() }, false);
  }

  private async claim(id: string, project: string, fingerprint: string): Promise<{ claim: RecordRef } | { replay: Outcome }> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const { ttlMs, inFlightMs } = this.settings();
      const now = this.now();
      const claim = { id, claim: randomUUID() };
      const fresh = { project, fingerprint, claim: claim.claim, state: 'pending', outcome: null, lease_until: now + inFlightMs, expires_at: now + ttlMs };
      try {
        await this.store.insert(WRITE_RECORDS, [{ id, ...fresh }], false);
        return { claim };
      } catch (err) {
        if (!isMoboError(err, 'DS_CONFLICT')) throw err;
      }
      const [found] = (await this.store.select({ table: WRITE_RECORDS, where: { op: 'eq', column: 'id', value: id } })) as unknown as WriteRecord[];
      if (!found) continue; // freed a moment ago
      const expired = Number(found.expires_at) <= now;
      if (!expired && found.fingerprint !== fingerprint) throw restErrors.make.IDEMPOTENCY_KEY_REUSED(undefined, { details: { header: 'Idempotency-Key' } });
      if (!expired && found.state === 'done') return { replay: JSON.parse(found.outcome ?? 'null') as Outcome };
      if (!expired && found.state === 'unknown') throw outcomeUnknown();
      if (!expired && Number(found.lease_until) > now) throw restErrors.make.IDEMPOTENCY_IN_PROGRESS(undefined, { details: { header: 'Idempotency-Key', retryAfterSeconds: 1 } });
      if (!expired) {
        // A claim its node never settled (it died): whether the write was applied nobody can tell.
        await this.records.markUnknown({ id, claim: found.claim });
        throw outcomeUnknown();
      }
      // Past its window: a new request under an old key. Take it over, if nobody else just did.
      const taken = await this.store.update(
        WRITE_RECORDS,
        { op: 'and', filters: [{ op: 'eq', column: 'id', value: id }, { op: 'eq', column: 'claim', value: found.claim }] },
        fresh,
        true,
      );
      if (taken.length === 1) return { claim };
    }
    throw restErrors.make.IDEMPOTENCY_IN_PROGRESS(undefined, { details: { header: 'Idempotency-Key', retryAfterSeconds: 1 } });
  }
}

/** The writes of a replay: each answers what the first request's write answered, and writes nothing. */
class ReplayedWrite extends DataClient {
  constructor(
    data: DataClient,
    private readonly outcome: Outcome,
  ) {
    super(data.ref);
  }
  override insert(): Promise<Row[]> {
    return this.answer();
  }
  override update(): Promise<Row[]> {
    return this.answer();
  }
  override delete(): Promise<Row[]> {
    return this.answer();
  }
  override restWrite(): Promise<RestWriteResult> {
    const o = this.outcome;
    // Recorded by the simple path (a node that had learned the source cannot run this write): replayed there.
    return 'rest' in o ? Promise.resolve(o.rest) : 'error' in o ? Promise.reject(MoboError.fromBody(o.error)) : Promise.reject(new RecordedBySimplePath());
  }
  private answer(): Promise<Row[]> {
    const o = this.outcome;
    return 'rows' in o
      ? Promise.resolve(o.rows)
      : 'error' in o
        ? Promise.reject(MoboError.fromBody(o.error))
        : Promise.reject(restErrors.make.IDEMPOTENCY_KEY_REUSED('This Idempotency-Key was recorded by a PostgREST write; repeat that request', { details: { header: 'Idempotency-Key' } }));
  }
}

const outcomeUnknown = (): MoboError =>
  new MoboError('DS_OUTCOME_UNKNOWN', 'The first request with this Idempotency-Key may or may not have been applied, and it will not be run again under this key: read to find out', {
    details: { header: 'Idempotency-Key' },
  });

/** A PostgREST write's replay whose first request went the simple path: pgrst-write.ts replays it there. */
export class RecordedBySimplePath extends Error {
  constructor() {
    super('recorded by the simple path');
  }
}

function replayed(response: HttpResponse): HttpResponse {
  return { ...response, headers: { ...response.headers, [REPLAYED_HEADER]: 'true' } };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
