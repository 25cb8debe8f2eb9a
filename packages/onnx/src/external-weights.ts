/**
 * Rewrites an ONNX model so that its large weights live in a separate file, aligned for memory mapping.
 *
 * Why: ONNX Runtime parses a model with inline weights into protobuf strings and then copies them into tensors, so
 * loading a 91 MB model briefly holds about twice that, and the freed copy stays in the allocator. With the weights
 * in an external file at aligned offsets it maps the file instead: nothing is copied, the pages are the kernel's
 * page cache (shared by every worker and process on the model), and embedding rows no text uses are never read.
 *
 * Only the protobuf wire format is walked (ModelProto → graph → initializer); every other byte is copied as it is.
 */

// Field numbers from onnx.proto3.
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;
const LOCATION_EXTERNAL = 1;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

/** Offsets in the data file are multiples of this: the page size on Linux and macOS divides it, and it is Windows' mapping granularity. */
export const WEIGHT_ALIGNMENT = 65_536;
/** Smaller tensors (biases, layer norms) stay inline: mapping them would cost more padding than it saves. */
export const MIN_EXTERNAL_BYTES = 65_536;

export class OnnxFormatError extends Error {}

interface Field {
  number: number;
  wire: number;
  /** The whole field, tag included. */
  start: number;
  end: number;
  /** The payload of a length-delimited field. */
  valueStart: number;
}

/** Random access to the model file: only field headers and the small fields are ever read into memory. */
export interface ByteSource {
  readonly length: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

/** Reads through a window so that walking many small fields costs few reads. */
class WindowedReader {
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;
  constructor(private readonly source: ByteSource) {}

  async byte(at: number): Promise<number> {
    if (at < this.windowStart || at >= this.windowStart + this.window.length) {
      this.windowStart = at;
      this.window = await this.source.read(at, Math.min(this.source.length, at + 65_536));
    }
    return this.window[at - this.windowStart]!;
  }

  async varint(at: number): Promise<{ value: number; next: number }> {
    let value = 0;
    let scale = 1;
    for (let i = at; i < this.source.length && i < at + 10; i++) {
      const byte = await this.byte(i);
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) return { value, next: i + 1 };
    }
    throw new OnnxFormatError(`bad varint at byte ${at}`);
  }

  async slice(start: number, end: number): Promise<Uint8Array> {
    if (start >= this.windowStart && end <= this.windowStart + this.window.length) return this.window.slice(start - this.windowStart, end - this.windowStart);
    return this.source.read(start, end);
  }
}

async function* fields(reader: WindowedReader, start: number, end: number): AsyncGenerator<Field> {
  let at = start;
  while (at < end) {
    const tag = await reader.varint(at);
    const wire = tag.value % 8;
    const number = Math.floor(tag.value / 8);
    let valueStart = tag.next;
    let fieldEnd: number;
    if (wire === WIRE_VARINT) fieldEnd = (await reader.varint(tag.next)).next;
    else if (wire === WIRE_FIXED64) fieldEnd = tag.next + 8;
    else if (wire === WIRE_FIXED32) fieldEnd = tag.next + 4;
    else if (wire === WIRE_BYTES) {
      const length = await reader.varint(tag.next);
      valueStart = length.next;
      fieldEnd = length.next + length.value;
    } else throw new OnnxFormatError(`unsupported wire type ${wire} at byte ${at}`);
    if (fieldEnd > end) throw new OnnxFormatError(`field ${number} at byte ${at} runs past its message`);
    yield { number, wire, start: at, end: fieldEnd, valueStart };
    at = fieldEnd;
  }
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}

const utf8 = new TextEncoder();

/** Encoded fields of a message, kept as a list of parts and written out once. */
class Parts {
  readonly list: Uint8Array[] = [];
  length = 0;
  push(part: Uint8Array): void {
    this.list.push(part);
    this.length += part.length;
  }
  bytesField(number: number, payload: Parts | Uint8Array): void {
    this.push(varint(number * 8 + WIRE_BYTES));
    this.push(varint(payload.length));
    if (payload instanceof Parts) for (const p of payload.list) this.push(p);
    else this.push(payload);
  }
  varintField(number: number, value: number): void {
    this.push(varint(number * 8 + WIRE_VARINT));
    this.push(varint(value));
  }
}

export interface SplitModel {
  /** The model without its large weights. */
  model: Uint8Array;
  /** Where each weight goes: `length` bytes from `from` in the source file to `offset` in the weights file (the gaps are zero padding). */
  weights: { from: number; offset: number; length: number }[];
  weightsLength: number;
}

/**
 * Plans the split of a model into a model and a weights file named `dataFile` beside it, reading only its structure.
 * Returns undefined when there is nothing to do: no large inline weights, or weights that are external already.
 */
export async function splitWeights(source: ByteSource, dataFile: string, minExternalBytes = MIN_EXTERNAL_BYTES): Promise<SplitModel | undefined> {
  const reader = new WindowedReader(source);
  const out = new Parts();
  const weights: SplitModel["weights"] = [];
  let offset = 0;
  let sawGraph = false;
  for await (const f of fields(reader, 0, source.length)) {
    if (f.number !== MODEL_GRAPH || f.wire !== WIRE_BYTES) {
      out.push(await reader.slice(f.start, f.end));
      continue;
    }
    if (sawGraph) throw new OnnxFormatError("more than one graph");
    sawGraph = true;
    const graph = new Parts();
    for await (const g of fields(reader, f.valueStart, f.end)) {
      if (g.number !== GRAPH_INITIALIZER || g.wire !== WIRE_BYTES) {
        graph.push(await reader.slice(g.start, g.end));
        continue;
      }
      const tensor = new Parts();
      let raw: { from: number; length: number } | undefined;
      for await (const t of fields(reader, g.valueStart, g.end)) {
        if (t.number === TENSOR_EXTERNAL_DATA) return undefined; // external already: leave the model as exported
        if (t.number === TENSOR_DATA_LOCATION && t.wire === WIRE_VARINT && (await reader.varint(t.valueStart)).value === LOCATION_EXTERNAL) return undefined;
        if (t.number === TENSOR_RAW_DATA && t.wire === WIRE_BYTES && t.end - t.valueStart >= minExternalBytes) raw = { from: t.valueStart, length: t.end - t.valueStart };
        else tensor.push(await reader.slice(t.start, t.end));
      }
      if (!raw) {
        graph.push(await reader.slice(g.start, g.end));
        continue;
      }
      offset = Math.ceil(offset / WEIGHT_ALIGNMENT) * WEIGHT_ALIGNMENT;
      weights.push({ from: raw.from, offset, length: raw.length });
      for (const [key, value] of [
        ["location", dataFile],
        ["offset", String(offset)],
        ["length", String(raw.length)],
      ] as const) {
        const entry = new Parts();
        entry.bytesField(ENTRY_KEY, utf8.encode(key));
        entry.bytesField(ENTRY_VALUE, utf8.encode(value));
        tensor.bytesField(TENSOR_EXTERNAL_DATA, entry);
      }
      // Appended last: for a scalar field the last value wins, over any DEFAULT the exporter wrote.
      tensor.varintField(TENSOR_DATA_LOCATION, LOCATION_EXTERNAL);
      graph.bytesField(GRAPH_INITIALIZER, tensor);
      offset += raw.length;
    }
    out.bytesField(MODEL_GRAPH, graph);
  }
  if (!sawGraph) throw new OnnxFormatError("no graph");
  if (weights.length === 0) return undefined;
  return { model: Buffer.concat(out.list), weights, weightsLength: offset };
}
