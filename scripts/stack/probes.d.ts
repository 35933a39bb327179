/** Types of probes.js (CommonJS, so that both scripts/stack.mjs and jest load it). */
export function dynamodbAnswers(endpoint: string, timeoutMs?: number): Promise<boolean>;
export function sqsAnswers(endpoint: string, timeoutMs?: number): Promise<boolean>;
export function temporalAnswers(uiPort: number, timeoutMs?: number): Promise<boolean>;
export function mongoPing(port: number): Promise<boolean>;
export function portInUse(port: number): Promise<boolean>;
