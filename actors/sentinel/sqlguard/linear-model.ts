/**
 * The SQLGuard model: logistic regression over hashed features (features.ts). A value's
 * score is sigmoid(bias + Σ weight[i]) over its feature indices. This TypeScript forward
 * pass is the reference the ONNX export is checked against (float32 weights, as in the
 * file); serving runs the ONNX file with onnxruntime.
 */
export interface LinearModel {
  bits: number;
  weights: Float32Array;
  bias: number;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** The score of one value's feature indices. */
export function scoreFeatures(model: LinearModel, indices: Int32Array): number {
  let z = model.bias;
  for (const i of indices) z += model.weights[i]!;
  return Math.fround(sigmoid(Math.fround(z)));
}
