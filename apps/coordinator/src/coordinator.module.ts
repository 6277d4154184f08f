import { Module } from '@nestjs/common';
import { ExecutorReportsController } from './executor-reports.controller.js';
import { SearchRuns } from './search-runs.js';

/** The coordinator service: owns searches (single writer of their streams) and takes executor reports. */
@Module({ controllers: [ExecutorReportsController], providers: [SearchRuns], exports: [SearchRuns] })
export class CoordinatorModule {}
