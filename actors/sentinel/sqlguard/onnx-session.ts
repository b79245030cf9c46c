/**
 * The SQLGuard model under onnxruntime (the only module that imports onnxruntime-node).
 * One session per loaded model file, CPU, one intra-op thread: a batch is small, and the
 * node's other work needs the cores more than a parallel Gather does. The native library is
 * loaded on first use (dynamic import): a node with Sentinel off, and every `mobo` command
 * but sentinel:check, never loads it.
 */
type Ort = typeof import('onnxruntime-node');
let runtime: Promise<Ort> | undefined;
/** onnxruntime-node is CommonJS: under ESM its API is the namespace's default export. */
const loadRuntime = (): Promise<Ort> => (runtime ??= import('onnxruntime-node').then((m) => (m as { default?: Ort }).default ?? m));

export interface ModelSession {
  /** Scores a batch of feature-index rows (features.ts): one score in [0,1] per row. */
  score(rows: readonly Int32Array[]): Promise<Float32Array>;
  close(): Promise<void>;
}

export async function openSession(bytes: Uint8Array): Promise<ModelSession> {
  const ort = await loadRuntime();
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  return {
    async score(rows) {
      if (rows.length === 0) return new Float32Array(0);
      let total = 0;
      for (const r of rows) total += r.length;
      const idx = new Int32Array(total);
      const row = new Int32Array(total);
      let at = 0;
      rows.forEach((r, i) => {
        idx.set(r, at);
        row.fill(i, at, at + r.length);
        at += r.length;
      });
      const out = await session.run({ idx: new ort.Tensor('int32', idx, [total]), row: new ort.Tensor('int32', row, [total]), base: new ort.Tensor('float32', new Float32Array(rows.length), [rows.length]) });
      return out.score!.data as Float32Array;
    },
    close: () => session.release(),
  };
}
