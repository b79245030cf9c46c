/**
 * Writes a LinearModel as an ONNX file (the only module that imports onnx-proto). The graph
 * takes a batch of padded feature-index rows and a mask, so no dense input is ever built:
 *
 *   idx int32 [N,K], mask float [N,K]   (int32 indices: no BigInt per feature when serving)
 *   Gather(W[D], idx) · mask → ReduceSum(axis 1) + b → Sigmoid → score float [N]
 *
 * Opset 13 (ReduceSum takes its axes as an input).
 */
import onnxProto from 'onnx-proto';
import type { LinearModel } from '../linear-model.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const INT32 = onnx.TensorProto.DataType.INT32;

function tensor(name: string, dataType: number, dims: number[], raw: Uint8Array) {
  return onnx.TensorProto.create({ name, dataType, dims, rawData: raw });
}

function bytes(array: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function input(name: string, elemType: number, dims: Array<string | number>) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({ dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) }),
      }),
    }),
  });
}

export function exportOnnx(model: LinearModel, metadata: Record<string, string>): Uint8Array {
  const node = (opType: string, inputs: string[], output: string) => onnx.NodeProto.create({ opType, input: inputs, output: [output], name: output });
  const graph = onnx.GraphProto.create({
    name: 'sqlguard',
    node: [
      node('Gather', ['W', 'idx'], 'w'),
      node('Mul', ['w', 'mask'], 'wm'),
      onnx.NodeProto.create({ opType: 'ReduceSum', input: ['wm', 'axes'], output: ['z0'], name: 'z0', attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] }),
      node('Add', ['z0', 'b'], 'z'),
      node('Sigmoid', ['z'], 'score'),
    ],
    initializer: [
      tensor('W', FLOAT, [model.weights.length], bytes(model.weights)),
      tensor('b', FLOAT, [1], bytes(Float32Array.of(model.bias))),
      tensor('axes', INT64, [1], bytes(BigInt64Array.of(1n))),
    ],
    input: [input('idx', INT32, ['N', 'K']), input('mask', FLOAT, ['N', 'K'])],
    output: [input('score', FLOAT, ['N'])],
  });
  const modelProto = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'magmobomini-sentinel',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 13 }],
    graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(modelProto).finish();
}
