// What the parts of the store contract share: its time scales and the suite's store, key and session helpers.
import type { Store } from '../../src/session/store.ts';

/** Long enough that a slow CI machine never crosses it by accident. */
export const longMs = 60_000;
/** Short expiries the tests wait out; wide gaps between checks tolerate scheduling jitter. */
export const shortMs = 400;

export const inMs = (milliseconds: number): number => Date.now() + milliseconds;

/** What `describeStoreContract` hands each part of the contract it runs. */
export interface StoreContract {
  /** Hands `receive` the suite's store once the suite's `beforeAll` has opened it. */
  readonly onStoreOpened: (receive: (store: Store) => void) => void;
  /** A key no other test uses. */
  readonly key: (label: string) => string;
  /** Creates a session whose deadlines are `absoluteMs` and `idleMs` from now. */
  readonly create: (
    sessionKey: string,
    fields: Record<string, string>,
    deadlines?: { absoluteMs?: number; idleMs?: number },
  ) => Promise<void>;
  /** The values read (sliding the idle deadline to `idleMs` from now), or null when the session is gone. */
  readonly read: (
    sessionKey: string,
    fields: string[],
    idleMs?: number,
  ) => Promise<readonly (string | null)[] | null>;
}
