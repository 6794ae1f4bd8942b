// Types of scripts/lib/stages.mjs for the TypeScript that uses it. Keep in step with the module.
export interface Stage {
  name: string;
  /** The folder whose *.test.ts files the stage runs. */
  tests?: string;
  apt: string[];
  codeServer?: boolean;
  build?: boolean;
  package?: boolean;
}
export const STAGES: Stage[];
export const STUDIO: Stage;
export const STAGE_NAMES: string[];
export function stageByName(name: string): Stage;
export function findTests(dir: string, opts?: { suffix?: string; filter?: string; root?: string }): string[];
export function stageHasWork(stage: Stage, opts?: { root?: string }): boolean;
export function planStages(asked?: string[]): Stage[];
export function needsOf(stages: Stage[], opts?: { root?: string }): { apt: string[]; codeServer: boolean };
