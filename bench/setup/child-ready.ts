// The child's side of start-up: tells the bench runner, over IPC, the port it listens on.

/** The message a bench child sends once listening. */
export interface ListeningMessage {
  readonly listeningPort: number;
}

export function isListeningMessage(message: unknown): message is ListeningMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { listeningPort?: unknown }).listeningPort === 'number'
  );
}

export function reportListening(port: number): void {
  if (process.send === undefined) {
    process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
    return;
  }
  const message: ListeningMessage = { listeningPort: port };
  process.send(message);
  // The runner stops the child with SIGTERM; the IPC channel must not keep it alive after that.
  process.channel?.unref();
}
