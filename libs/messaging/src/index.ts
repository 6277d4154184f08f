export * from './contracts.js';
export { InProcessBus, type BusHandler } from './in-process/bus.js';
export { InProcessServer } from './in-process/server.js';
export { InProcessClient } from './in-process/client.js';
export { NatsServersSchema, parseNatsServers, type NatsConnection } from './nats/servers.js';
export { natsMicroservice, natsClient, connectNats, type NatsServerBehaviour } from './nats/options.js';
export { ContractDeserializer } from './nats/deserializer.js';
export { untilStopped, type StopService } from './nats/lifecycle.js';
