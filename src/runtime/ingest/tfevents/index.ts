// TensorBoard event files: the protobuf wire reader (wire.ts), the Event
// decoder (decode.ts) and the tailer that follows a log folder (tailer.ts).
export { ProtoError } from './wire';
export { decodeEvent, DT, type DecodedEvent, type DecodedValue } from './decode';
export { folderPrefix, runNameOfFolder, TfeventsTailer, type TfeventsStats, type TfeventsTailerOptions } from './tailer';
export { halfToNumber } from '../../numeric/half';
