import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { lastValueFrom } from 'rxjs';
import { InProcessBus } from './bus.js';
import { InProcessClient } from './client.js';
import { InProcessServer } from './server.js';

const received: { worker: string; data: unknown }[] = [];

function workerModule(name: string) {
  @Controller()
  class WorkerController {
    @EventPattern('job', { queue: 'workers' })
    job(@Payload() data: unknown) {
      received.push({ worker: name, data });
    }

    @EventPattern('broadcast')
    broadcast(@Payload() data: unknown) {
      received.push({ worker: `${name}:broadcast`, data });
    }

    @MessagePattern('double', { queue: 'workers' })
    double(@Payload() data: { n: number }) {
      return { n: data.n * 2, by: name };
    }
  }
  @Module({ controllers: [WorkerController] })
  class WorkerModule {}
  return WorkerModule;
}

async function start(bus: InProcessBus, name: string): Promise<INestMicroservice> {
  const moduleRef = await Test.createTestingModule({ imports: [workerModule(name)] }).compile();
  const app = moduleRef.createNestMicroservice({ strategy: new InProcessServer(bus) });
  await app.listen();
  return app;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('in-process transport (Nest strategy + client over the bus)', () => {
  it('gives each queued event to one worker, broadcasts to all, and answers requests', async () => {
    received.length = 0;
    const bus = new InProcessBus();
    const apps = [await start(bus, 'a'), await start(bus, 'b')];
    const client = new InProcessClient(bus);

    for (let i = 0; i < 4; i++) await lastValueFrom(client.emit('job', { i }));
    await lastValueFrom(client.emit('broadcast', { hello: true }));
    await settle();
    const jobs = received.filter((r) => !r.worker.includes('broadcast'));
    expect(jobs).toHaveLength(4);
    expect(jobs.filter((j) => j.worker === 'a')).toHaveLength(2);
    expect(received.filter((r) => r.worker.includes('broadcast')).map((r) => r.worker).sort()).toEqual(['a:broadcast', 'b:broadcast']);

    const reply = await lastValueFrom(client.send('double', { n: 21 }));
    expect(reply).toMatchObject({ n: 42 });
    await expect(lastValueFrom(client.send('nobody-listens', {}))).rejects.toBe('no subscriber for nobody-listens');
    for (const app of apps) await app.close();
  });

  it('copies payloads as a wire would: the receiver never shares the sender’s object', async () => {
    const bus = new InProcessBus();
    const sent = { nested: { value: 1 } };
    let seen: unknown;
    bus.subscribe('x', async (data) => {
      seen = data;
    });
    await bus.publish('x', sent);
    await settle();
    expect(seen).toEqual(sent);
    expect(seen).not.toBe(sent);
  });
});
