// Loads a model folder's tokenizer with @huggingface/transformers (the same
// tokenizer implementation the Hugging Face JavaScript stack uses), strictly
// from local files: tokenizer.json, plus tokenizer_config.json when present.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
  /** End-of-text id used to separate packed documents; null when the tokenizer has none. */
  eosId: number | null;
  vocabSize: number;
}

interface HfTokenizer {
  encode(text: string, opts?: { add_special_tokens?: boolean }): number[];
  decode(ids: number[], opts?: { skip_special_tokens?: boolean }): string;
  eos_token_id?: number;
  get_vocab(): Map<string, number> | Record<string, number>;
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`Tokenizer file '${file}' could not be read: ${(e as Error).message}. Check that the model folder is complete.`, { cause: e });
  }
}

/**
 * Builds the tokenizer class named by tokenizer_config.json (GPT2Tokenizer for
 * GPT-2) or the generic PreTrainedTokenizer. `fallbackEosId` (config.json's
 * eos_token_id) is used when the tokenizer names no EOS token.
 */
export async function loadTokenizer(folder: string, fallbackEosId?: number | null): Promise<TextTokenizer> {
  const tokFile = path.join(folder, 'tokenizer.json');
  if (!fs.existsSync(tokFile)) {
    throw new Error(`Model folder '${folder}' has no tokenizer.json; the trainer needs the fast-tokenizer file (save it with tokenizer.save_pretrained in Python).`);
  }
  const tokenizerJson = readJson(tokFile);
  const cfgFile = path.join(folder, 'tokenizer_config.json');
  const tokenizerConfig = fs.existsSync(cfgFile) ? readJson(cfgFile) : {};
  const T = (await import('@huggingface/transformers')) as unknown as Record<string, unknown> & {
    env: { allowRemoteModels: boolean };
    PreTrainedTokenizer: new (json: unknown, cfg: unknown) => HfTokenizer;
  };
  T.env.allowRemoteModels = false;
  const className = typeof tokenizerConfig.tokenizer_class === 'string' ? tokenizerConfig.tokenizer_class.replace(/Fast$/, '') : '';
  const candidate = className ? T[className] : undefined;
  const Cls =
    typeof candidate === 'function' && (candidate as { prototype: unknown }).prototype instanceof (T.PreTrainedTokenizer as unknown as typeof Object)
      ? (candidate as typeof T.PreTrainedTokenizer)
      : T.PreTrainedTokenizer;
  let tok: HfTokenizer;
  try {
    tok = new Cls(tokenizerJson, tokenizerConfig);
  } catch (e) {
    throw new Error(`Tokenizer in '${folder}' could not be built: ${(e as Error).message}`, { cause: e });
  }
  const vocab = tok.get_vocab();
  const ids = vocab instanceof Map ? [...vocab.values()] : Object.values(vocab);
  const vocabSize = ids.reduce((m, v) => Math.max(m, v), -1) + 1;
  const eos = typeof tok.eos_token_id === 'number' ? tok.eos_token_id : fallbackEosId ?? null;
  return {
    // GPT-2 adds no special tokens; documents are joined with EOS by the packer instead
    encode: (text) => tok.encode(text, { add_special_tokens: false }),
    decode: (ids) => tok.decode(ids, { skip_special_tokens: true }),
    eosId: eos,
    vocabSize,
  };
}
