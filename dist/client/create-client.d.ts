import type { BffClient, ClientOptions } from './types.ts';
export declare function createClient(options?: ClientOptions): BffClient;
