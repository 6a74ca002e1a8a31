// Collects configuration problems, each naming its variable, so start-up reports them all at once.

/** Collects problems instead of stopping at the first, so an operator fixes them in one go. */
export class Problems {
  readonly list: string[] = [];
  readonly #reported = new Set<string>();
  /** Records the first problem of each variable; a later one about the same variable adds nothing. */
  add(variable: string, message: string): void {
    if (this.#reported.has(variable)) return;
    this.#reported.add(variable);
    this.list.push(`${variable} ${message}`);
  }
}

/** Records a problem unless `url` is https or plain http was explicitly allowed. */
export type RequireHttps = (variable: string, url: URL) => void;
