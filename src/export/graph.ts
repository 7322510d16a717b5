// An ONNX graph under construction: nodes, weights (initializers) and the values between them,
// each value with its shape without the batch dimension. Encoded with onnx-proto's schema
// (protobufjs), never by hand.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
/** An attribute: an integer, integers, a string, or { float } (ONNX types attributes). */
export type Attr = number | number[] | string | { float: number };

/** ONNX's FLOAT element type. */
const FLOAT = onnx.TensorProto.DataType.FLOAT;
/** ONNX IR version 8 (ONNX 1.10-1.12), which carries opsets up to 17. */
export const IR_VERSION = 8;

/** A tensor flowing through the graph: its name and its shape after the batch dimension. */
export interface Value {
  name: string;
  shape: number[];
}

export class OnnxGraph {
  readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  readonly #names = new Set<string>();

  /** A fresh value name starting with `base`. */
  name(base: string): string {
    let n = base;
    for (let i = 1; this.#names.has(n); i++) n = `${base}_${i}`;
    this.#names.add(n);
    return n;
  }

  /** A float32 weight; dims are its full shape. */
  weight(base: string, data: Float32Array, dims: number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`weight ${base}: ${data.length} values for shape [${dims.join(', ')}]`);
    const name = this.name(base);
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push(onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: raw }));
    return name;
  }

  /** A node with one output, named from `base`; returns the output's name. */
  node(op: string, inputs: string[], base: string, attrs: Record<string, Attr> = {}): string {
    const out = this.name(base);
    const attribute = Object.entries(attrs).map(([name, v]) => attributeProto(name, v));
    this.nodes.push(onnx.NodeProto.create({ opType: op, name: out, input: inputs, output: [out], attribute }));
    return out;
  }

  /** The model's bytes: one float32 input and one output, both [batch, ...shape]. */
  encode(o: { input: Value; output: Value; opset: number; docString: string; metadata: Record<string, string> }): Uint8Array {
    const info = (v: Value) => onnx.ValueInfoProto.create({
      name: v.name,
      type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch' }, ...v.shape.map((d) => ({ dimValue: d }))] } } },
    });
    const graph = onnx.GraphProto.create({
      name: 'selfsup', node: this.nodes, initializer: this.initializers, input: [info(o.input)], output: [info(o.output)],
    });
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION, producerName: 'selfsup', producerVersion: '0.1.0', docString: o.docString,
      opsetImport: [{ domain: '', version: o.opset }], graph,
      metadataProps: Object.entries(o.metadata).map(([key, value]) => ({ key, value })),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function attributeProto(name: string, v: Attr) {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(v) });
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: v });
  if (typeof v === 'object') return onnx.AttributeProto.create({ name, type: T.FLOAT, f: v.float });
  if (!Number.isInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer (give floats as { float })`);
  return onnx.AttributeProto.create({ name, type: T.INT, i: v });
}
