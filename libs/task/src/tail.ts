/** Default number of characters of output kept as the tail of a failure. */
export const TAIL_CHARS = 2000;

/** Last `chars` characters of `text`, prefixed by an ellipsis when cut. */
export function tail(text: string, chars = TAIL_CHARS): string {
  return text.length <= chars ? text : `…${text.slice(text.length - chars)}`;
}
