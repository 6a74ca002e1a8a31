// Describes an error for a log line by kind and code only: never its message, which may quote a response body.

/** An error's kind and code for logs: never its full message, which may quote a response body. */
export function describeError(error: unknown): {
  name: string;
  errorCode?: string;
  status?: number;
} {
  if (error instanceof Error) {
    const withCode = error as Error & { code?: unknown; status?: unknown };
    return {
      name: error.name,
      ...(typeof withCode.code === 'string' ? { errorCode: withCode.code } : {}),
      ...(typeof withCode.status === 'number' ? { status: withCode.status } : {}),
    };
  }
  return { name: typeof error };
}
