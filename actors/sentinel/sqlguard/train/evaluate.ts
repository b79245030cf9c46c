import type { Sample } from './dataset.js';

export interface BlockResult {
  n: number;
  /** Scored at or above the threshold. */
  flagged: number;
  /** Recall for malicious blocks, false-positive rate for benign ones. */
  rate: number;
}

export interface Evaluation {
  threshold: number;
  confusion: { tp: number; fn: number; fp: number; tn: number };
  recall: number;
  fpr: number;
  hardFpr: number;
  blocks: Record<string, BlockResult>;
}

/** Per-block recall and false-positive rate of `scores` (aligned with `samples`) at `threshold`. */
export function evaluate(samples: readonly Sample[], scores: ArrayLike<number>, threshold: number): Evaluation {
  const blocks: Record<string, BlockResult> = {};
  const confusion = { tp: 0, fn: 0, fp: 0, tn: 0 };
  let hard = 0;
  let hardFlagged = 0;
  samples.forEach((s, i) => {
    const flagged = scores[i]! >= threshold;
    const b = (blocks[s.block] ??= { n: 0, flagged: 0, rate: 0 });
    b.n++;
    if (flagged) b.flagged++;
    if (s.label === 1) flagged ? confusion.tp++ : confusion.fn++;
    else flagged ? confusion.fp++ : confusion.tn++;
    if (s.hard) {
      hard++;
      if (flagged) hardFlagged++;
    }
  });
  for (const b of Object.values(blocks)) b.rate = b.n === 0 ? 0 : b.flagged / b.n;
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  return {
    threshold,
    confusion,
    recall: ratio(confusion.tp, confusion.tp + confusion.fn),
    fpr: ratio(confusion.fp, confusion.fp + confusion.tn),
    hardFpr: ratio(hardFlagged, hard),
    blocks,
  };
}
