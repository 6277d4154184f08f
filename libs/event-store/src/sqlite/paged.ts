/** One iteration of a paged read: its pages, how each row becomes an item, and a check once the last page is read. */
export interface PagedRead<Row, T> {
  pages: Iterator<Row[]>;
  /** Gets each row in order (a stateful check may throw here, naming the row). */
  convert(row: Row): T;
  /** Runs once the last page is read, before the read reports done (a backwards read must end at revision 0). */
  atEnd?(): void;
}

/**
 * An async iterable over pages that a synchronous generator fetches on demand. Serving each item
 * with one already-resolved promise (instead of an async generator's chain of awaits) keeps a full
 * read close to the speed of the plain SQLite loop. Each row is converted on its own turn, so the
 * items before a bad row are delivered and the error surfaces on the `next()` that reaches it.
 * `open` is called for each iteration, so per-read state (a revision check) starts afresh.
 */
export function pagedIterable<Row, T>(open: () => PagedRead<Row, T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const read = open();
      const source = read.pages;
      let page: Row[] = [];
      let index = 0;
      let finished = false;
      return {
        next(): Promise<IteratorResult<T>> {
          try {
            while (index >= page.length) {
              if (finished) return Promise.resolve({ done: true, value: undefined });
              const step = source.next();
              if (step.done) {
                finished = true;
                read.atEnd?.();
              } else [page, index] = [step.value, 0];
            }
            return Promise.resolve({ done: false, value: read.convert(page[index++]!) });
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
