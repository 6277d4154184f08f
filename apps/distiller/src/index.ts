export { DistillerModule } from './distiller.module.js';
export { DistillService } from './distill.service.js';
export { DistillerServiceConfigSchema, parseDistillerServiceConfig, distillerInputFromEnv, type DistillerServiceConfig, type DistillerServiceInput } from './service-config.js';
export { startDistillerService, type DistillerService } from './service.js';
export { serveDistiller } from './main.js';
