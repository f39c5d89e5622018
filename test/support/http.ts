export interface HttpAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

// A fetch answer with its body parsed as JSON when it is JSON, kept as text otherwise.
export async function answerOf<T>(res: Response): Promise<HttpAnswer<T>> {
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}
