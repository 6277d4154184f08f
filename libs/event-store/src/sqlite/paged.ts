/**
 * An async iterable over pages that a synchronous generator fetches on demand. Serving each item
 * with one already-resolved promise (instead of an async generator's chain of awaits) keeps a full
 * read close to the speed of the plain SQLite loop. Each row is converted on its own turn, so the
 * items before a bad row are delivered and the error surfaces on the `next()` that reaches it.
 */
export function pagedIterable<Row, T>(pages: () => Iterator<Row[]>, convert: (row: Row) => T): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const source = pages();
      let page: Row[] = [];
      let index = 0;
      let finished = false;
      return {
        next(): Promise<IteratorResult<T>> {
          try {
            while (index >= page.length) {
              if (finished) return Promise.resolve({ done: true, value: undefined });
              const step = source.next();
              if (step.done) finished = true;
              else [page, index] = [step.value, 0];
            }
            return Promise.resolve({ done: false, value: convert(page[index++]!) });
          } catch (error) {
            finished = true;
            return Promise.reject(error);
          }
        },
        return(): Promise<IteratorResult<T>> {
          finished = true;
          source.return?.();
          return Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
}
