/**
 * Writes a LinearModel as an ONNX file (the only module that imports onnx-proto). The graph
 * takes a batch's feature indices flat, each with the row it belongs to, so no dense input
 * and no padding is ever built (a batch costs its features, not rows × its longest row):
 *
 *   idx int32 [T], row int32 [T], base float [N] (zeros: the batch's size)
 *   ScatterElements(base, row, Gather(W[D], idx), add) + b → Sigmoid → score float [N]
 *
 * Opset 18 (ScatterElements with reduction `add`).
 */
import onnxProto from 'onnx-proto';
import type { LinearModel } from '../linear-model.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT32 = onnx.TensorProto.DataType.INT32;

function tensor(name: string, dataType: number, dims: number[], raw: Uint8Array) {
  return onnx.TensorProto.create({ name, dataType, dims, rawData: raw });
}

function bytes(array: Float32Array): Uint8Array {
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
      onnx.NodeProto.create({
        opType: 'ScatterElements',
        input: ['base', 'row', 'w'],
        output: ['z0'],
        name: 'z0',
        attribute: [
          { name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
          { name: 'reduction', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('add') },
        ],
      }),
      node('Add', ['z0', 'b'], 'z'),
      node('Sigmoid', ['z'], 'score'),
    ],
    initializer: [
      tensor('W', FLOAT, [model.weights.length], bytes(model.weights)),
      tensor('b', FLOAT, [1], bytes(Float32Array.of(model.bias))),
    ],
    input: [input('idx', INT32, ['T']), input('row', INT32, ['T']), input('base', FLOAT, ['N'])],
    output: [input('score', FLOAT, ['N'])],
  });
  const modelProto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'magmobomini-sentinel',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 18 }],
    graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(modelProto).finish();
}
