import { featuresOf, tokenContexts, type FeatureSpec } from './features.js';
import { certainPattern, isPlain } from './rules.js';

/** How a value was judged: without the model (plain, or a certain rule) or by it. */
export type Triage = { stage: 'plain'; score: 0 } | { stage: 'rule'; rule: string; score: 1 } | { stage: 'model'; features: Int32Array };

/** The fast path, in order: plain values pass, certain patterns score 1, the rest go to the model. */
export function triage(value: string, spec: FeatureSpec): Triage {
  if (isPlain(value)) return { stage: 'plain', score: 0 };
  const contexts = tokenContexts(value);
  const rule = certainPattern(value, contexts);
  if (rule) return { stage: 'rule', rule, score: 1 };
  return { stage: 'model', features: featuresOf(value, spec, contexts) };
}
