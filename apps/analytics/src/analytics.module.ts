import { Inject, Module, type DynamicModule, type OnModuleDestroy } from '@nestjs/common';
import { AnalyticsService, type AnalyticsOptions } from './analytics.service.js';

/** The analytics capability: one AnalyticsService over an event store, closed (checkpoint saved) with the module. */
@Module({})
export class AnalyticsModule implements OnModuleDestroy {
  constructor(@Inject(AnalyticsService) private readonly analytics: AnalyticsService) {}

  /** The module over a store and a state file. */
  static register(options: AnalyticsOptions): DynamicModule {
    return { module: AnalyticsModule, providers: [{ provide: AnalyticsService, useValue: new AnalyticsService(options) }], exports: [AnalyticsService] };
  }

  /** Saves the checkpoint when the application closes. */
  async onModuleDestroy(): Promise<void> {
    await this.analytics.close();
  }
}
