/** Types of layout.js (CommonJS, so that both scripts/stack.mjs and jest load it). */
export type ServerName = 'temporal' | 'dynoxide' | 'localstack' | 'ferretdb';
export interface StackPorts {
  temporal: number;
  temporalUi: number;
  dynamodb: number;
  localstack: number;
  mongodb: number;
}
export interface StackDef {
  versions: Record<'temporal' | 'ferretdb' | 'dynoxide' | 'localstack', string>;
  ports: StackPorts;
  searchAttributes: Record<string, string>;
}
export const ROOT: string;
export const STACK: string;
export const BIN: string;
export const DATA: string;
export const LOGS: string;
export const RUN: string;
export const VENV: string;
export const STACK_DEF: StackDef;
export function serverCommand(name: ServerName, opts?: { ports?: Partial<StackPorts>; dataDir?: string }): [string, string[]];
