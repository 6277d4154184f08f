import { z } from 'zod';

/** Which service instance wrote an event. */
export const ActorSchema = z.object({ service: z.string().min(1), instance: z.string().min(1) });
export type Actor = z.infer<typeof ActorSchema>;

/**
 * Metadata on every event. `$correlationId` (the search) and `$causationId` (the event or
 * message that caused it) are the keys EventStoreDB's own projections read.
 */
export const EventMetadataSchema = z.object({
  $correlationId: z.string().min(1),
  $causationId: z.string().min(1),
  actor: ActorSchema,
  schemaVersion: z.number().int().positive(),
  at: z.string().datetime(),
});
export type EventMetadata = z.infer<typeof EventMetadataSchema>;
