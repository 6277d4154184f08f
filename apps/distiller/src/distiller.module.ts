import { Module, type DynamicModule } from '@nestjs/common';
import type { SearchLog } from '@hypotree/event-store';
import type { Distiller } from '@hypotree/research';
import { DistillController } from './distill.controller.js';
import { DistillService } from './distill.service.js';

/** The distiller service: evidence → insights, read from the log, returned to the coordinator. */
@Module({})
export class DistillerModule {
  /** The module over a search log and a distiller (offline or LLM). */
  static register(options: { log: SearchLog; distiller: Distiller }): DynamicModule {
    return {
      module: DistillerModule,
      controllers: [DistillController],
      providers: [{ provide: DistillService, useValue: new DistillService(options.log, options.distiller) }],
    };
  }
}
