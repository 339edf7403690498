/** What a route handler answers: a status, a JSON body (text) and extra headers. */
export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export const jsonAnswer = (status: number, value: unknown, headers?: Record<string, string>): Answer => ({ status, body: JSON.stringify(value), ...(headers ? { headers } : {}) });
