// Types of scripts/setup.mjs for the TypeScript that uses it. Keep in step with the module.
import type { Log } from './lib/paths.mjs';
import type { Stage } from './lib/stages.mjs';

export function dependencyProblem(root?: string): string | null;
export function ensureDependencies(opts?: { log?: Log }): boolean;
export const SETUP_LOCK: string;
export function setup(opts?: { stages?: Stage[]; log?: Log }): { npm: boolean; apt: string[]; codeServer: boolean; seconds: number };
export function stagesFor(names: string[]): Stage[];
