// Collects configuration problems, each naming its variable, so start-up reports them all at once.

/** Collects problems instead of stopping at the first, so an operator fixes them in one go. */
export class Problems {
  readonly list: string[] = [];
  add(variable: string, message: string): void {
    this.list.push(`${variable} ${message}`);
  }
}

/** Records a problem unless `url` is https or plain http was explicitly allowed. */
export type RequireHttps = (variable: string, url: URL) => void;
