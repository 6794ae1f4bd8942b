// Metrics from any trainer: the entry point the job supervisor imports.
// Split raw output into lines (LineSplitter, FrameCollapser for the job log),
// build the parsers a job names (createParsers), run lines through them
// (LineIngest) and tail TensorBoard folders (TfeventsTailer).
export * from './types';
export { LineSplitter, FrameCollapser, collapseFrames, stripAnsi, DEFAULT_MAX_LINE_BYTES, type LinePiece, type LineSplitterOptions, type LineSplitterStats } from './lines';
export { DEFAULT_PARSER_SPECS, validateParserSpecs, createParsers, LineIngest, ParserSpecError, type CreatedParsers, type IngestCounts } from './spec';
export { ProtocolParser } from './protocol';
export { HfParser } from './hf';
export { RegexParser, LightningParser, createRegexParser, REGEX_PRESETS } from './regex';
export { TfeventsTailer, decodeEvent, type TfeventsTailerOptions, type TfeventsStats } from './tfevents';
export { TfRecordReader, crc32c, maskCrc } from './tfrecord';
