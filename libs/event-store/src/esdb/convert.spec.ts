import esdb from '@eventstore/db-client';
import { InvalidPositionError, StoreUnavailableError, StreamDeletedError, WrongExpectedRevisionError } from '../errors.js';
import { translateError } from './convert.js';
import { parsePosition } from './positions.js';

// The translation table on the client's own error objects, including the cases that must not be translated.
describe('translating EventStoreDB client errors', () => {
  it('turns a wrong expected version into WrongExpectedRevisionError only when the append says what it expected', () => {
    const error = esdb.WrongExpectedVersionError.fromWrongExpectedVersion(
      Object.assign(Object.create(null), {
        hasExpectedStreamPosition: () => true,
        getExpectedStreamPosition: () => '3',
        hasCurrentStreamRevision: () => true,
        getCurrentStreamRevision: () => '5',
        hasExpectedStreamExists: () => false,
        hasExpectedNoStream: () => false,
      }),
      's-1',
    );
    expect(translateError(error, { operation: 'append', streamId: 's-1', expected: 3 })).toEqual(new WrongExpectedRevisionError('s-1', 3, 5));
    expect(translateError(error, { operation: 'read', streamId: 's-1' })).toBe(error);
  });

  it('names the stream and operation of a tombstoned stream, never the client\'s error type', () => {
    const translated = translateError(esdb.StreamDeletedError.fromStreamName('s-2'), { operation: 'subscribe', streamId: 's-2' });
    expect(translated).toBeInstanceOf(StreamDeletedError);
    expect(translated).toMatchObject({ streamId: 's-2', operation: 'subscribe', deletion: 'tombstoned', store: 'EventStoreDB' });
    expect(translated).not.toHaveProperty('type');
  });

  it('reads a client-side timeout as a deadline, with the retry advice on appends only', () => {
    const append = translateError(new esdb.DeadlineExceededError(), { operation: 'append', streamId: 's-3' }) as Error;
    const read = translateError(new esdb.DeadlineExceededError(), { operation: 'read', streamId: 's-3' }) as Error;
    expect(append).toBeInstanceOf(StoreUnavailableError);
    expect(append.message).toContain('retry with the same event ids and expected revision');
    expect(read.message).not.toContain('event ids');
  });

  it('treats OUT_OF_RANGE as an invalid position only when a position was given', () => {
    const outOfRange = Object.assign(new Error('11 OUT_OF_RANGE: Invalid position.'), { code: 11, details: 'Invalid position.' });
    expect(translateError(outOfRange, { operation: 'readAll', streamId: '$all', position: 'C:1/P:1' })).toBeInstanceOf(InvalidPositionError);
    expect(translateError(outOfRange, { operation: 'readAll', streamId: '$all' })).toBe(outOfRange);
  });

  it('passes an error it does not know through unchanged', () => {
    const unknown = new TypeError('something else');
    expect(translateError(unknown, { operation: 'append', streamId: 's-4', expected: 'any' })).toBe(unknown);
    expect(translateError(undefined, { operation: 'read', streamId: 's-4' })).toBeUndefined();
  });

  it('refuses positions it did not hand out', () => {
    expect(parsePosition('C:10/P:9')).toEqual({ commit: 10n, prepare: 9n });
    for (const bad of ['', 'C:1', 'C:-1/P:1', 'c:1/p:1', 'C:1/P:1 ', '42']) expect(() => parsePosition(bad)).toThrow(InvalidPositionError);
  });
});
