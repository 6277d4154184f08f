export { DistillerModule } from './distiller.module.js';
export { DistillService } from './distill.service.js';
export { DistillerServiceConfigSchema, parseDistillerServiceConfig, type DistillerServiceConfig, type DistillerServiceInput } from './service-config.js';
export { startDistillerService, type DistillerService } from './service.js';
export { serveDistiller } from './main.js';
